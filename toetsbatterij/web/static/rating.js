/* The rating screen's recordings: the sound is fetched once from the rater-only route, played
   from memory (a blob: URL) at the chosen speed, and drawn as a waveform decoded in the browser
   (decodeAudioData), with the part already played shaded. A click on the waveform jumps there;
   the keyboard uses the audio element's own controls. */
(function () {
  'use strict';

  function peaksOf(buffer, columns) {
    var data = buffer.getChannelData(0);
    var step = Math.max(1, Math.floor(data.length / columns));
    var peaks = [];
    for (var c = 0; c < columns; c++) {
      var max = 0;
      for (var i = c * step, end = Math.min(data.length, i + step); i < end; i++) {
        var v = Math.abs(data[i]);
        if (v > max) { max = v; }
      }
      peaks.push(max);
    }
    var top = Math.max.apply(null, peaks.concat([0.0001]));
    return peaks.map(function (p) { return p / top; });
  }

  function render(canvas, peaks, fraction) {
    var ctx = canvas.getContext('2d');
    var w = canvas.width, h = canvas.height, mid = h / 2;
    ctx.clearRect(0, 0, w, h);
    ctx.fillStyle = '#eef3f8';
    ctx.fillRect(0, 0, w, h);
    if (!peaks) { return; }
    var played = Math.round(fraction * peaks.length);
    for (var x = 0; x < peaks.length; x++) {
      var half = Math.max(1, peaks[x] * (mid - 2));
      ctx.fillStyle = x < played ? '#0b5cad' : '#7d8a97';
      ctx.fillRect(x, mid - half, 1, half * 2);
    }
  }

  function setup(box) {
    var audio = box.querySelector('audio');
    var canvas = box.querySelector('canvas.waveform');
    var status = box.querySelector('.recording-status');
    var peaks = null;
    var draw = function () {
      var fraction = audio.duration ? audio.currentTime / audio.duration : 0;
      render(canvas, peaks, fraction);
    };
    render(canvas, null, 0);
    var type = 'audio/ogg';
    fetch(box.dataset.src, { credentials: 'same-origin' })
      .then(function (resp) {
        if (!resp.ok) { throw new Error('status ' + resp.status); }
        type = resp.headers.get('Content-Type') || type;
        return resp.arrayBuffer();
      })
      .then(function (bytes) {
        audio.src = URL.createObjectURL(new Blob([bytes], { type: type }));
        audio.preload = 'auto';
        var Offline = window.OfflineAudioContext || window.webkitOfflineAudioContext;
        return new Offline(1, 48000, 48000).decodeAudioData(bytes.slice(0));
      })
      .then(function (buffer) {
        peaks = peaksOf(buffer, canvas.width);
        box.dataset.waveform = 'ready';
        box.dataset.seconds = buffer.duration.toFixed(2);
        draw();
      })
      .catch(function () {
        box.dataset.waveform = 'failed';
        status.textContent = box.dataset.error;
      });
    ['timeupdate', 'seeked', 'loadedmetadata', 'ended'].forEach(function (name) {
      audio.addEventListener(name, draw);
    });
    canvas.addEventListener('click', function (e) {
      if (!audio.duration) { return; }
      var rect = canvas.getBoundingClientRect();
      audio.currentTime = audio.duration * Math.min(1, Math.max(0, (e.clientX - rect.left) / rect.width));
    });
    var buttons = box.querySelectorAll('.speed-button');
    buttons.forEach(function (button) {
      button.addEventListener('click', function () {
        var rate = parseFloat(button.dataset.rate);
        audio.playbackRate = rate;
        audio.defaultPlaybackRate = rate;
        buttons.forEach(function (b) { b.setAttribute('aria-pressed', b === button ? 'true' : 'false'); });
      });
    });
    // A new source (the blob) resets the rate: keep the chosen one.
    audio.addEventListener('loadedmetadata', function () {
      audio.playbackRate = audio.defaultPlaybackRate;
    });
  }

  document.querySelectorAll('.recording').forEach(setup);
})();
