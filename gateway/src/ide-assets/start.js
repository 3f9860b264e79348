// GraphiQL's start: the defaults the gateway put in the page, and requests to this gateway's /graphql only.
(function start() {
  'use strict';
  var defaults = JSON.parse(document.getElementById('ide-defaults').textContent);
  var fetcher = GraphiQL.createFetcher({ url: new URL('/graphql', location.href).href });
  ReactDOM.createRoot(document.getElementById('graphiql')).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: defaults.query,
      query: defaults.query,
      headers: defaults.headers,
      // a token typed in stays in the tab: not kept in the browser's storage for the next person at the machine
      shouldPersistHeaders: false,
      defaultEditorToolsVisibility: 'headers',
    }),
  );
})();
