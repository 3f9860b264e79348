// The LIFF member page's script. It asks LIFF for the user's ID token and our API for what to show, and only
// places what the API answers: every word comes from the catalogue the page carries (#texts) or the API's view,
// in the locale the API answers with. The LINE user is never named by this script: the server reads them from
// the ID token. Text goes in through textContent only; the two barcode pictures are SVG the server drew.
(function () {
  'use strict';
  var app = document.getElementById('app');
  var TEXTS = JSON.parse(document.getElementById('texts').textContent);
  var api = app.getAttribute('data-api');
  var locale = document.documentElement.lang === 'en' ? 'en' : 'ja';
  var language = new URLSearchParams(location.search).get('lang');
  /** Set once the first view showed: a refused token after that has expired while the page stayed open. */
  var opened = false;

  function t(key) {
    return TEXTS[key][locale];
  }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      if (name === 'text') node.textContent = attrs.text;
      else node.setAttribute(name, attrs[name]);
    });
    (children || []).forEach(function (child) {
      if (child) node.appendChild(child);
    });
    return node;
  }

  function svg(markup, label) {
    var doc = new DOMParser().parseFromString(markup, 'image/svg+xml');
    var node = document.importNode(doc.documentElement, true);
    node.setAttribute('role', 'img');
    node.setAttribute('aria-label', label);
    return node;
  }

  function setLocale(next) {
    locale = next === 'en' ? 'en' : 'ja';
    document.documentElement.lang = locale;
    document.title = t('title');
  }

  function show(children) {
    app.replaceChildren.apply(app, children);
  }

  /** Nothing of the member stays on screen: only the message. */
  function fail(message) {
    show([el('p', { class: 'error', role: 'alert', text: message })]);
  }

  // LIFF's ID token is short-lived: asked for at every call, and when it has expired anyway, LIFF is initialised
  // again (a reload: liff.init hands out a fresh one) rather than the page going blank
  function call(method, path, body) {
    var idToken = liff.getIDToken();
    if (!idToken) return Promise.reject(Object.assign(new Error(t('unauthenticated')), { code: 'UNAUTHENTICATED' }));
    var url = api + '/' + path + (language ? '?lang=' + encodeURIComponent(language) : '');
    var init = { method: method, headers: { authorization: 'Bearer ' + idToken } };
    if (body) {
      init.headers['content-type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    return fetch(url, init).then(function (response) {
      return response.json().then(function (answer) {
        if (answer.locale) setLocale(answer.locale);
        if (!response.ok) {
          var error = new Error(answer.error ? answer.error.message : t('unavailable'));
          error.code = answer.error ? answer.error.code : 'SERVICE_UNAVAILABLE';
          if (error.code === 'UNAUTHENTICATED' && opened) {
            location.reload();
            return new Promise(function () {});
          }
          throw error;
        }
        return answer;
      });
    });
  }

  function render(view) {
    opened = true;
    setLocale(view.locale);
    if (view.state === 'member') return renderMember(view);
    renderGuest(view.state === 'inactive' ? t('inactive') : view.unlinked ? t('unlinked') : null);
  }

  function list(items, empty, row) {
    if (!items.length) return el('p', { class: 'muted', text: empty });
    return el('ul', {}, items.map(row));
  }

  function renderMember(view) {
    var card = view.card;
    var sections = [
      el('h1', { text: t('title') }),
      el('section', { class: 'card', id: 'card', 'aria-label': t('cardHeading') }, [
        el('p', { class: 'name', id: 'display-name', text: card.displayName }),
        card.ean13Svg ? el('div', { class: 'barcode', id: 'barcode' }, [svg(card.ean13Svg, t('barcodeLabel'))]) : null,
        el('div', { class: 'qr', id: 'qr' }, [svg(card.qrSvg, t('qrLabel'))]),
        el('p', { class: 'code', id: 'member-code', 'aria-label': t('memberCode'), text: card.memberCodeText }),
        el('p', { class: 'muted', text: t('cardHint') }),
      ]),
    ];
    var points = view.points;
    if (points) {
      var bar = el('span');
      bar.style.width = points.tierProgressPercent + '%';
      sections.push(
        el('section', { id: 'points' }, [
          el('h2', { text: t('balance') }),
          el('p', { class: 'balance', id: 'balance', text: points.balanceText }),
          el('p', { class: 'muted', id: 'pending', text: t('pending') + ' ' + points.pendingText }),
          el('h2', { text: t('tier') + ': ' + points.tierName, id: 'tier' }),
          el('div', { class: 'progress', role: 'progressbar', 'aria-valuemin': '0', 'aria-valuemax': '100', 'aria-valuenow': String(points.tierProgressPercent), 'aria-label': t('tier') }, [bar]),
          el('p', { class: 'muted', id: 'tier-progress', text: points.tierProgressText }),
        ]),
        el('section', { id: 'expiring' }, [
          el('h2', { text: t('expiringHeading') }),
          list(points.expiring, t('noExpiring'), function (lot) {
            return el('li', {}, [el('span', { text: lot.dateText }), el('span', { class: 'amount', text: lot.pointsText })]);
          }),
        ]),
        el('section', { id: 'history' }, [
          el('h2', { text: t('historyHeading') }),
          list(points.history, t('noHistory'), function (entry) {
            var what = el('span', { text: entry.label + (entry.detail ? ' · ' + entry.detail : '') });
            return el('li', {}, [el('span', { class: 'muted', text: entry.dateText }), what, el('span', { class: 'amount', text: entry.amountText })]);
          }),
        ]),
      );
    } else {
      sections.push(el('section', { id: 'points' }, [el('p', { role: 'alert', text: t('pointsUnavailable') })]));
    }
    if (view.coupons) {
      sections.push(
        el('section', { id: 'coupons' }, [
          el('h2', { text: t('couponsHeading') }),
          list(view.coupons, t('noCoupons'), function (coupon) {
            return el('li', { class: 'coupon' }, [
              el('span', { text: coupon.name }),
              el('span', { class: 'muted', text: t('couponExpires') + ' ' + coupon.expiresText }),
              el('p', { class: 'coupon-code', 'aria-label': t('couponCode'), text: coupon.code }),
              el('div', { class: 'coupon-barcode' }, [svg(coupon.barcodeSvg, t('couponBarcodeLabel'))]),
            ]);
          }),
        ]),
      );
    }
    sections.push(window.memberPageClaim({ el: el, t: t, submit: submit, render: render }, view.claim), settingsSection(view.profile), unlinkSection());
    show(sections);
  }

  /** Removing the link, behind a confirm step: the page then shows the join and link forms. */
  function unlinkSection() {
    var section = el('section', { id: 'unlink' });
    var alert = el('p', { class: 'hidden' });
    var ask = el('button', { type: 'button', class: 'secondary', text: t('unlink') });
    ask.addEventListener('click', function () {
      var yes = el('button', { type: 'button', text: t('unlinkYes') });
      var no = el('button', { type: 'button', class: 'secondary', text: t('unlinkNo') });
      var confirm = el('div', { id: 'unlink-confirm', role: 'group' }, [el('p', { text: t('unlinkConfirm') }), yes, no]);
      no.addEventListener('click', function () {
        section.replaceChildren(ask, alert);
      });
      yes.addEventListener('click', function () {
        submit(yes, alert, 'unlink', {}, render);
      });
      section.replaceChildren(confirm, alert);
    });
    section.append(ask, alert);
    return section;
  }

  function settingsSection(profile) {
    if (!profile) return el('section', { id: 'settings' }, [el('h2', { text: t('settingsHeading') }), el('p', { class: 'muted', text: t('settingsUnavailable') })]);
    var birthday = el('input', { id: 'birthday', type: 'date', value: profile.birthday || '' });
    var consent = el('input', { id: 'consent', type: 'checkbox' });
    consent.checked = profile.marketingConsent;
    var status = el('p', { role: 'status', class: 'notice hidden' });
    var save = el('button', { type: 'button', text: t('save') });
    save.addEventListener('click', function () {
      // only what the member changed: an untouched box is no consent choice (a LEGACY member's stays unrecorded)
      var changes = {};
      if ((birthday.value || null) !== (profile.birthday || null)) changes.birthday = birthday.value || null;
      if (consent.checked !== profile.marketingConsent) changes.marketingConsent = consent.checked;
      if (!Object.keys(changes).length) {
        status.textContent = t('saved');
        return status.classList.remove('hidden');
      }
      submit(save, status, 'profile', changes, function (view) {
        render(view);
        var saved = document.querySelector('#settings [role=status]');
        if (saved) {
          saved.textContent = t('saved');
          saved.classList.remove('hidden');
        }
      });
    });
    return el('section', { id: 'settings' }, [
      el('h2', { text: t('settingsHeading') }),
      el('label', { for: 'birthday', text: t('birthday') }),
      birthday,
      el('label', { class: 'check' }, [consent, el('span', { text: t('marketingConsent') })]),
      profile.marketingConsentConfirmed ? null : el('p', { class: 'muted', id: 'consent-note', text: t('consentUnconfirmed') }),
      save,
      status,
    ]);
  }

  /** Sends a form's values; the answer is the page to show, a refusal is shown in the form's alert. */
  function submit(button, alert, path, body, done) {
    button.disabled = true;
    call('POST', path, body)
      .then(done)
      .catch(function (error) {
        if (error.code === 'UNAUTHENTICATED') return fail(error.message);
        button.disabled = false;
        alert.textContent = error.message;
        alert.className = 'error';
        alert.setAttribute('role', 'alert');
        if (error.code === 'ALREADY_EXISTS' && path === 'join') document.getElementById('link-code').focus();
      });
  }

  function field(id, label, attrs) {
    return [el('label', { for: id, text: label }), el('input', Object.assign({ id: id, name: id }, attrs))];
  }

  /** The join and link forms; `notice` says why someone linked sees them (their membership ended). */
  function renderGuest(notice) {
    var joinAlert = el('p', { class: 'hidden' });
    var joinButton = el('button', { type: 'submit', text: t('join') });
    var marketing = el('input', { id: 'join-marketing', type: 'checkbox' });
    var terms = el('input', { id: 'join-terms', type: 'checkbox' });
    var joinForm = el(
      'form',
      { id: 'join', novalidate: '' },
      [el('h2', { text: t('joinHeading') }), joinAlert]
        .concat(field('join-name', t('name'), { autocomplete: 'name', maxlength: '100' }))
        .concat(field('join-contact', t('contact'), { autocomplete: 'email', maxlength: '254' }))
        .concat(field('join-birthday', t('birthday'), { type: 'date' }))
        .concat([el('label', { class: 'check' }, [marketing, el('span', { text: t('marketingConsent') })]), el('label', { class: 'check' }, [terms, el('span', { text: t('terms') })]), joinButton]),
    );
    joinForm.addEventListener('submit', function (event) {
      event.preventDefault();
      submit(joinButton, joinAlert, 'join', {
        name: joinForm.elements['join-name'].value,
        contact: joinForm.elements['join-contact'].value,
        birthday: joinForm.elements['join-birthday'].value || null,
        marketingConsent: marketing.checked,
        termsAccepted: terms.checked,
      }, render);
    });
    var linkAlert = el('p', { class: 'hidden' });
    var linkButton = el('button', { type: 'submit', text: t('link') });
    var linkForm = el(
      'form',
      { id: 'link', novalidate: '' },
      [el('h2', { text: t('linkHeading') }), el('p', { class: 'muted', text: t('linkText') }), linkAlert]
        .concat(field('link-code', t('linkMemberCode'), { inputmode: 'numeric', autocomplete: 'off', maxlength: '40' }))
        .concat(field('link-contact', t('contact'), { autocomplete: 'off', maxlength: '254' }))
        .concat([linkButton]),
    );
    linkForm.addEventListener('submit', function (event) {
      event.preventDefault();
      submit(linkButton, linkAlert, 'link', { memberCode: linkForm.elements['link-code'].value, contact: linkForm.elements['link-contact'].value }, render);
    });
    show([
      notice ? el('p', { class: 'error', id: 'notice', text: notice }) : null,
      el('h1', { text: t('welcomeHeading') }),
      el('p', { text: t('welcomeText') }),
      el('section', {}, [joinForm]),
      el('section', {}, [linkForm]),
    ].filter(Boolean));
  }

  function start() {
    liff
      .init({ liffId: app.getAttribute('data-liff-id') })
      .then(function () {
        // outside LINE's app the SDK logs in through LINE Login and comes back here
        if (!liff.isLoggedIn()) return liff.login({ redirectUri: location.href });
        if (!language) language = liff.getLanguage();
        return call('GET', 'me').then(render);
      })
      .catch(function (error) {
        fail(error && error.code === 'UNAUTHENTICATED' ? error.message : t('unavailable'));
      });
  }

  start();
})();
