// Starts Swagger UI on /api/v1/docs. A static file, not an inline script: our CSP allows
// scripts from 'self' only. The OpenAPI URL comes from the page's data attribute.
(function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  window.SwaggerUIBundle({
    url: root.dataset.openapiUrl,
    dom_id: "#swagger-ui",
    deepLinking: true,
    layout: "BaseLayout",
    presets: [window.SwaggerUIBundle.presets.apis],
  });
})();
