// motcua's only script, and optional: every form works without it. On a form marked
// data-progress it sends the files itself so that a progress bar can show how much has gone,
// then goes where the server sends it (or shows the server's page if it refused). If the
// connection fails, it says how far the upload got and that nothing was recorded. Words come
// from the form's data-msg-* attributes (the message files), never from here.
'use strict';
(function () {
  function mib(bytes) {
    return (bytes / 1048576).toFixed(1).replace('.', ',');
  }
  function say(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_, k) { return values[k]; });
  }
  document.querySelectorAll('form[data-progress]').forEach(function (form) {
    var bar = document.getElementById(form.getAttribute('data-progress'));
    var status = document.getElementById(form.getAttribute('data-status'));
    if (!bar || !status || !window.FormData || !window.XMLHttpRequest) return;
    form.addEventListener('submit', function (event) {
      event.preventDefault();
      var button = form.querySelector('button[type="submit"]');
      if (button) button.disabled = true;
      bar.hidden = false;
      bar.value = 0;
      var sent = 0;
      var total = 0;
      var xhr = new XMLHttpRequest();
      xhr.open('POST', form.action);
      xhr.upload.addEventListener('progress', function (e) {
        if (!e.lengthComputable) return;
        sent = e.loaded;
        total = e.total;
        var percent = Math.floor((e.loaded / e.total) * 100);
        bar.value = percent;
        status.textContent = say(form.getAttribute('data-msg-progress'), {
          percent: percent, sent: mib(e.loaded), total: mib(e.total)
        });
      });
      xhr.upload.addEventListener('load', function () {
        bar.value = 100;
        status.textContent = form.getAttribute('data-msg-checking');
      });
      xhr.addEventListener('load', function () {
        if (xhr.responseURL && xhr.responseURL !== form.action && xhr.status < 400) {
          window.location.assign(xhr.responseURL);
          return;
        }
        // The server's own page (a refusal in words): show it as a normal answer would.
        document.open();
        document.write(xhr.responseText);
        document.close();
      });
      function failed() {
        if (button) button.disabled = false;
        var percent = total ? Math.floor((sent / total) * 100) : 0;
        status.textContent = say(form.getAttribute('data-msg-failed'), { percent: percent });
      }
      xhr.addEventListener('error', failed);
      xhr.addEventListener('abort', failed);
      xhr.addEventListener('timeout', failed);
      status.textContent = say(form.getAttribute('data-msg-progress'), { percent: 0, sent: '0', total: '?' });
      xhr.send(new FormData(form));
    });
  });
})();
