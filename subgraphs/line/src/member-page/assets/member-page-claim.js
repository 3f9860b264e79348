// The member page's "get a receipt's points" form, placed by member-page.js on a member's card page. The code
// comes typed, from LINE's QR reader (liff.scanCodeV2, where this LIFF app and the LINE version allow it), or in
// the page's URL (?claim=<code>, the receipt's QR code opening the page), read once LIFF has restored the URL.
(function () {
  'use strict';
  /** The code in the URL: read when the first form is made (after liff.init), used for that form only. */
  var fromUrl = null;

  /** A scanned receipt QR holds the member page's URL with the code, or the code itself. */
  function codeOf(scanned) {
    var inUrl = /^https:\/\/[^?#]*\?(?:[^#]*&)?claim=([^&#]+)/.exec(scanned);
    return inUrl ? decodeURIComponent(inUrl[1]) : scanned;
  }

  function canScan() {
    return typeof liff.isApiAvailable === 'function' && liff.isApiAvailable('scanCodeV2');
  }

  window.memberPageClaim = function (page, answer) {
    var t = page.t;
    var el = page.el;
    var input = el('input', { id: 'claim-code', name: 'claim-code', autocomplete: 'off', autocapitalize: 'characters', maxlength: '40' });
    if (fromUrl === null) fromUrl = new URLSearchParams(location.search).get('claim');
    input.value = fromUrl || '';
    fromUrl = '';
    var status = answer
      ? el('p', { id: 'claim-status', role: answer.claimed ? 'status' : 'alert', class: answer.claimed ? 'notice' : 'error', text: answer.message })
      : el('p', { id: 'claim-status', class: 'hidden' });
    var button = el('button', { type: 'submit', text: t('claim') });
    var form = el('form', { id: 'claim', novalidate: '' }, [el('label', { for: 'claim-code', text: t('claimCode') }), input, button]);
    form.addEventListener('submit', function (event) {
      event.preventDefault();
      page.submit(button, status, 'claim', { code: input.value }, page.render);
    });
    var scan = null;
    if (canScan()) {
      scan = el('button', { type: 'button', class: 'secondary', id: 'claim-scan', text: t('claimScan') });
      scan.addEventListener('click', function () {
        liff.scanCodeV2().then(function (result) {
          if (!result || !result.value) return;
          input.value = codeOf(result.value);
          page.submit(button, status, 'claim', { code: input.value }, page.render);
        });
      });
    }
    return el('section', { id: 'receipt-claim' }, [el('h2', { text: t('claimHeading') }), el('p', { class: 'muted', text: t('claimText') }), status, form, scan]);
  };
})();
