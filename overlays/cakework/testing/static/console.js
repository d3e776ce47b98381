// The emulator console. Plain JavaScript, no library: it polls two control routes twice a
// second (/_emulator/overview and /_emulator/requests) and redraws a part of the page only
// when its content changed, so focus and scroll positions stay where a person left them.
"use strict";
(function () {
  const POLL_MS = 500;
  const ui = {
    tenant: 0,
    build: null, // selected build id
    vm: null, // selected VM id
    request: null, // selected request seq
    overview: null,
    requests: [],
  };
  const $ = (id) => document.getElementById(id);
  const esc = (value) =>
    String(value ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);

  function clockText(t) {
    const d = new Date(t * 1000);
    return d.toISOString().replace("T", " ").replace("Z", "") + " UTC";
  }
  function timeText(t) {
    return new Date(t * 1000).toISOString().slice(11, 23);
  }
  function badge(text, cls) {
    return `<span class="badge s-${esc(cls ?? text)}">${esc(text)}</span>`;
  }

  // Replace an element's HTML only when it changed; keep the focused control focused.
  const drawn = new Map();
  function draw(element, html) {
    if (drawn.get(element) === html) return;
    drawn.set(element, html);
    const active = document.activeElement;
    const key = active && element.contains(active) ? active.dataset.key : null;
    element.innerHTML = html;
    if (key) {
      const again = element.querySelector(`[data-key="${CSS.escape(key)}"]`);
      if (again) again.focus();
    }
  }

  async function getJSON(url) {
    const response = await fetch(url, { cache: "no-store" });
    if (!response.ok) throw new Error(`${url}: ${response.status}`);
    return response.json();
  }
  async function post(url, body) {
    const response = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) {
      let reason = `${response.status}`;
      try {
        reason = (await response.json()).error || reason;
      } catch (ignored) {
        // not JSON: the status says enough
      }
      throw new Error(reason);
    }
    return response.status === 204 ? null : response.json();
  }
  function say(id, text, isError) {
    const element = $(id);
    element.textContent = text;
    element.classList.toggle("error", Boolean(isError));
  }

  // ---- builds --------------------------------------------------------------------------
  function drawBuilds(overview) {
    const rows = overview.builds.map((b) => {
      const selected = b.buildId === ui.build;
      return `<tr class="${selected ? "selected" : ""}">
        <td><button type="button" class="link" data-key="b-${esc(b.buildId)}" data-build="${esc(b.buildId)}"
          aria-pressed="${selected}" aria-label="Show build ${esc(b.buildId)}">${esc(b.buildId.slice(0, 8))}</button></td>
        <td>${badge(b.status)}</td>
        <td>${esc(b.step ?? "")}</td>
        <td class="mono hide-narrow">${timeText(b.createdAt)}</td></tr>`;
    });
    draw(
      document.querySelector("#builds-table tbody"),
      rows.join("") || `<tr><td colspan="4" class="empty">No build yet.</td></tr>`,
    );
    const detail = $("build-detail");
    const build = overview.builds.find((b) => b.buildId === ui.build);
    detail.hidden = !build;
    if (!build) return;
    const lines = (build.lines || [])
      .map((l) => `<span class="${esc(l.level)}">${timeText(l.at)} ${esc(l.level.padEnd(5))} ${esc(l.message)}</span>`)
      .join("\n");
    draw(
      detail,
      `<h3>Build ${esc(build.buildId)}</h3>
      <dl class="kv"><dt>Status</dt><dd>${esc(build.status)}</dd><dt>Source</dt><dd>${esc(build.source)}</dd>
      <dt>Current step</dt><dd>${esc(build.step ?? "")}</dd><dt>Image</dt><dd>${esc(build.imageId ?? "not yet")}</dd></dl>
      <h3>Dockerfile</h3><pre tabindex="0" aria-label="Dockerfile">${esc(build.dockerfile)}</pre>
      <h3>Log (${build.lineCount} lines)</h3><pre class="log" tabindex="0" aria-label="Build log">${lines}</pre>`,
    );
  }

  // ---- VMs -----------------------------------------------------------------------------
  function drawVMs(overview) {
    const rows = overview.vms.map((vm) => {
      const selected = vm.id === ui.vm;
      const running = vm.state === "created" || vm.state === "started";
      const actions = [];
      if (running) {
        actions.push(`<button type="button" data-key="stop-${esc(vm.id)}" data-action="stop" data-vm="${esc(vm.id)}"
          aria-label="Stop VM ${esc(vm.id)}">Stop</button>`);
      }
      if (vm.cached && vm.state !== "destroyed") {
        actions.push(`<button type="button" class="danger" data-key="destroy-${esc(vm.id)}" data-action="destroy"
          data-vm="${esc(vm.id)}" aria-label="Destroy cached VM ${esc(vm.id)}">Destroy</button>`);
      }
      const size = `${vm.cpu} CPU · ${vm.memory} MB` + (vm.diskGb ? ` · ${vm.diskGb} GB` : "");
      const where = esc(vm.hostname) + (vm.port ? `:${vm.port}` : "");
      return `<tr class="${selected ? "selected" : ""}">
        <td><button type="button" class="link" data-key="v-${esc(vm.id)}" data-vm-select="${esc(vm.id)}"
          aria-pressed="${selected}" aria-label="Show VM ${esc(vm.id)} and its requests">${esc(vm.id)}</button>
          <span class="kind">${vm.cached ? "cached" : "one-time"}</span></td>
        <td>${badge(vm.state)}</td>
        <td class="hide-narrow">${esc(size)}</td>
        <td class="mono hide-narrow host" title="${where}">${where}</td>
        <td class="nowrap">${actions.join(" ")}</td></tr>`;
    });
    draw(
      document.querySelector("#vms-table tbody"),
      rows.join("") || `<tr><td colspan="5" class="empty">No VM yet.</td></tr>`,
    );
    const detail = $("vm-detail");
    const vm = overview.vms.find((v) => v.id === ui.vm);
    detail.hidden = !vm;
    if (!vm) return;
    const steps = vm.timeline
      .map(
        (t) =>
          `<li class="${t.pending ? "pending" : ""}">${badge(t.state)}<time datetime="${new Date(t.at * 1000).toISOString()}">${timeText(t.at)}</time>${t.pending ? " (scheduled)" : ""}</li>`,
      )
      .join("");
    draw(
      detail,
      `<h3>VM ${esc(vm.id)} timeline</h3><ol class="timeline" aria-label="State timeline">${steps}</ol>
      <dl class="kv"><dt>Kind</dt><dd>${vm.cached ? "cached VM" : "one-time VM"}</dd>
      <dt>Size</dt><dd>${esc(`${vm.cpu} CPU · ${vm.memory} MB` + (vm.diskGb ? ` · ${vm.diskGb} GB disk` : ""))}</dd>
      <dt>Image</dt><dd>${esc(vm.imageId)}</dd><dt>Hostname</dt><dd>${esc(vm.hostname)}</dd>
      <dt>Port</dt><dd>${esc(vm.port ?? "none")}</dd><dt>Created</dt><dd>${esc(clockText(vm.createdAt))}</dd></dl>
      <p>The request list shows this VM's requests. <button type="button" data-key="vm-close" id="vm-close">Show all requests</button></p>`,
    );
  }

  // ---- requests ------------------------------------------------------------------------
  function requestQuery() {
    const params = new URLSearchParams({ tenant: String(ui.tenant), limit: "100" });
    const operation = $("filter-operation").value;
    const status = $("filter-status").value;
    const resource = $("filter-resource").value.trim();
    if (operation) params.set("operation", operation);
    if (status) params.set("status", status);
    if (resource) params.set("resource", resource);
    return params;
  }
  function drawRequests() {
    const rows = ui.requests.map((r) => {
      const selected = r.seq === ui.request;
      const status = r.status === 0 ? "dropped" : String(r.status);
      return `<tr class="${selected ? "selected" : ""}" data-seq="${r.seq}">
        <td><button type="button" class="link" data-key="r-${r.seq}" data-request="${r.seq}" aria-pressed="${selected}"
          aria-label="${timeText(r.emulatorTime)} ${esc(r.operation)} ${esc(status)}: show details">${timeText(r.emulatorTime)}</button></td>
        <td>${esc(r.operation)}</td>
        <td>${badge(status, String(r.status)[0])}</td>
        <td class="mono nowrap hide-narrow">${r.durationMs.toFixed(1)} ms</td>
        <td class="nowrap">${r.fault ? `<span class="fault">injected ${esc(r.fault)}</span>` : ""}</td>
        <td class="mono hide-narrow">${esc(r.apiKey)}</td></tr>`;
    });
    draw(
      document.querySelector("#requests-table tbody"),
      rows.join("") || `<tr><td colspan="6" class="empty">No request matches.</td></tr>`,
    );
    const detail = $("request-detail");
    const r = ui.requests.find((x) => x.seq === ui.request);
    detail.hidden = !r;
    if (!r) return;
    const headers = (list) => list.map(([n, v]) => `${esc(n)}: ${esc(v)}`).join("\n");
    draw(
      detail,
      `<h3>${esc(r.method)} ${esc(r.path)}</h3>
      <dl class="kv"><dt>Operation</dt><dd>${esc(r.operation)}</dd><dt>Status</dt><dd>${r.status === 0 ? "connection dropped" : r.status}</dd>
      <dt>Latency</dt><dd>${r.durationMs.toFixed(1)} ms</dd><dt>Injected fault</dt><dd>${esc(r.fault ?? "none")}</dd>
      <dt>API key</dt><dd>${esc(r.apiKey)}</dd><dt>Ids</dt><dd>${esc(r.ids.join(", "))}</dd></dl>
      <h3>Request headers</h3><pre tabindex="0" aria-label="Request headers">${headers(r.requestHeaders)}</pre>
      <h3>Request body</h3><pre tabindex="0" aria-label="Request body">${esc(r.requestBody) || "(empty)"}</pre>
      <h3>Response headers</h3><pre tabindex="0" aria-label="Response headers">${headers(r.responseHeaders)}</pre>
      <h3>Response body</h3><pre tabindex="0" aria-label="Response body">${esc(r.responseBody) || "(empty)"}</pre>`,
    );
  }

  // ---- faults and clock ----------------------------------------------------------------
  const schema = JSON.parse($("fault-schema").textContent);
  // "`error` only: ..." in a property's description names the one kind it belongs to.
  const onlyFor = (property) => (/^`(\w+)` only/.exec(property.description || "") || [])[1] || null;
  function enumOf(property) {
    if (Array.isArray(property.enum)) return property.enum;
    const choices = [];
    for (const part of property.anyOf || []) {
      if (Array.isArray(part.enum)) choices.push(...part.enum);
      if (part.const !== undefined) choices.unshift(part.const);
    }
    return choices.length ? choices : null;
  }
  function buildFaultForm() {
    const form = $("fault-form");
    const parts = [];
    for (const [name, property] of Object.entries(schema.properties)) {
      const id = `fault-${name}`;
      const help = `${id}-help`;
      const choices = enumOf(property);
      const kindOnly = onlyFor(property);
      let control;
      if (choices) {
        const initial = property.default ?? choices[0];
        control = `<select id="${id}" name="${esc(name)}" aria-describedby="${help}">${choices
          .map((c) => `<option${c === initial ? " selected" : ""}>${esc(c)}</option>`)
          .join("")}</select>`;
      } else if (property.type === "integer" || property.type === "number") {
        const attrs = [
          property.minimum !== undefined ? `min="${property.minimum}"` : "",
          property.maximum !== undefined ? `max="${property.maximum}"` : "",
          `step="${property.type === "integer" ? 1 : "any"}"`,
          property.default !== undefined ? `value="${esc(property.default)}"` : "",
        ].join(" ");
        control = `<input id="${id}" name="${esc(name)}" type="number" ${attrs} inputmode="decimal" aria-describedby="${help}">`;
      } else {
        control = `<input id="${id}" name="${esc(name)}" type="text" aria-describedby="${help}">`;
      }
      const text = (property.description || "").replace(/`/g, "");
      parts.push(`<div class="field" data-field="${esc(name)}" data-kind-only="${esc(kindOnly ?? "")}">
        <label for="${id}">${esc(name)}</label>${control}<span class="help" id="${help}">${esc(text)}</span></div>`);
    }
    parts.push(`<div class="actions"><button type="submit">Inject fault</button></div>`);
    form.innerHTML = parts.join("");
    form.addEventListener("change", showFaultFields);
    showFaultFields();
  }
  function showFaultFields() {
    const kind = $("fault-kind") ? $("fault-kind").value : null;
    for (const field of document.querySelectorAll("#fault-form .field")) {
      const only = field.dataset.kindOnly;
      field.hidden = Boolean(only) && only !== kind;
    }
  }
  function faultBody() {
    const body = {};
    for (const field of document.querySelectorAll("#fault-form .field")) {
      if (field.hidden) continue;
      const name = field.dataset.field;
      const control = field.querySelector("input, select");
      const raw = control.value.trim();
      if (raw === "") continue;
      const type = schema.properties[name].type;
      body[name] = type === "integer" ? parseInt(raw, 10) : type === "number" ? Number(raw) : raw;
    }
    return body;
  }
  function drawFaults(overview) {
    const items = overview.faults.map((f) => {
      const details = Object.entries(f)
        .filter(([k]) => k !== "operation" && k !== "kind")
        .map(([k, v]) => `${k}=${v}`)
        .join(", ");
      return `<li><strong>${esc(f.operation)}</strong>: ${esc(f.kind)}${details ? ` (${esc(details)})` : ""}</li>`;
    });
    draw($("fault-list"), items.join("") || `<li class="empty">No fault is active.</li>`);
  }
  function drawClock(overview) {
    $("clock").textContent = clockText(overview.now);
    const mode = overview.manual
      ? "Manual clock: it moves only when advanced."
      : `Running at ${overview.speed}× real time.`;
    if ($("clock-mode").textContent !== mode) $("clock-mode").textContent = mode;
    $("speed-form").hidden = overview.manual;
    if (!overview.manual && document.activeElement !== $("speed") && !$("speed").value) {
      $("speed").value = overview.speed;
    }
  }
  function drawTenants(overview) {
    const select = $("tenant");
    const html = overview.tenants
      .map((t) => `<option value="${t.tenant}"${t.tenant === ui.tenant ? " selected" : ""}>${t.tenant + 1}: key ${esc(t.apiKey)}</option>`)
      .join("");
    if (drawn.get(select) !== html) {
      drawn.set(select, html);
      select.innerHTML = html;
    }
    const operations = $("filter-operation");
    if (operations.options.length === 1) {
      for (const op of overview.operations) operations.add(new Option(op, op));
    }
  }

  // ---- the loop ------------------------------------------------------------------------
  async function refresh() {
    const params = new URLSearchParams({ tenant: String(ui.tenant) });
    if (ui.build) params.set("build", ui.build);
    const [overview, requests] = await Promise.all([
      getJSON(`overview?${params}`),
      getJSON(`requests?${requestQuery()}`),
    ]);
    ui.overview = overview;
    ui.requests = requests.requests;
    drawTenants(overview);
    drawClock(overview);
    drawBuilds(overview);
    drawVMs(overview);
    drawFaults(overview);
    drawRequests();
  }
  async function loop() {
    try {
      await refresh();
      $("live").textContent = `live · ${ui.overview.requests} requests logged`;
    } catch (error) {
      $("live").textContent = `emulator unreachable (${error.message}); retrying`;
    }
    setTimeout(loop, POLL_MS);
  }
  const redraw = () => refresh().catch(() => {});

  document.addEventListener("click", async (event) => {
    const target = event.target.closest("button");
    if (!target) return;
    if (target.dataset.build) {
      ui.build = ui.build === target.dataset.build ? null : target.dataset.build;
      redraw();
    } else if (target.dataset.vmSelect) {
      ui.vm = ui.vm === target.dataset.vmSelect ? null : target.dataset.vmSelect;
      $("filter-resource").value = ui.vm ?? "";
      redraw();
    } else if (target.id === "vm-close") {
      ui.vm = null;
      $("filter-resource").value = "";
      redraw();
    } else if (target.dataset.request) {
      const seq = Number(target.dataset.request);
      ui.request = ui.request === seq ? null : seq;
      drawRequests();
    } else if (target.dataset.action) {
      const vm = target.dataset.vm;
      const action = target.dataset.action;
      try {
        const after = await post(`tenants/${ui.tenant}/vms/${encodeURIComponent(vm)}/${action}`);
        say("vm-message", `${action === "stop" ? "Stopped" : "Destroyed"} ${vm}: now ${after.state}.`);
      } catch (error) {
        say("vm-message", `Could not ${action} ${vm}: ${error.message}`, true);
      }
      redraw();
    } else if (target.id === "faults-clear") {
      await fetch("faults", { method: "DELETE" });
      say("fault-message", "Every fault was cleared.");
      redraw();
    } else if (target.id === "filter-clear") {
      $("filter-operation").value = "";
      $("filter-status").value = "";
      $("filter-resource").value = "";
      ui.vm = null;
      redraw();
    }
  });
  $("tenant").addEventListener("change", () => {
    ui.tenant = Number($("tenant").value);
    ui.build = ui.vm = ui.request = null;
    redraw();
  });
  for (const id of ["filter-operation", "filter-status", "filter-resource"]) {
    $(id).addEventListener("input", redraw);
  }
  $("request-filters").addEventListener("submit", (event) => event.preventDefault());
  $("fault-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = faultBody();
    try {
      await post("faults", body);
      say("fault-message", `Injected: ${JSON.stringify(body)}`);
    } catch (error) {
      say("fault-message", `Refused: ${error.message}`, true);
    }
    redraw();
  });
  $("speed-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const after = await post("clock/speed", { speed: Number($("speed").value) });
      say("clock-message", `The clock runs at ${after.speed}× now.`);
    } catch (error) {
      say("clock-message", `Refused: ${error.message}`, true);
    }
    redraw();
  });
  $("advance-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const after = await post("clock/advance", { seconds: Number($("advance").value) });
      say("clock-message", `Advanced to ${clockText(after.now)}.`);
    } catch (error) {
      say("clock-message", `Refused: ${error.message}`, true);
    }
    redraw();
  });

  buildFaultForm();
  loop();
})();
