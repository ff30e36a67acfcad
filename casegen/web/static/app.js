// casegen 工作台: sortable, filterable case list; the case form checked as it is typed in.
"use strict";
const csrf = document.querySelector('meta[name="csrf"]').content;

// --- the case list ---------------------------------------------------------------------------
const table = document.getElementById("cases");
if (table) {
  table.querySelectorAll("th").forEach((th, column) => {
    th.addEventListener("click", () => {
      const rows = [...table.tBodies[0].rows];
      const number = th.dataset.sort === "number";
      const ascending = th.dataset.dir !== "asc";
      th.dataset.dir = ascending ? "asc" : "desc";
      const value = (row) => {
        const cell = row.cells[column];
        return number ? parseFloat(cell.dataset.value ?? cell.textContent) : cell.textContent.trim();
      };
      rows.sort((a, b) => {
        const x = value(a), y = value(b);
        const order = number ? x - y : x.localeCompare(y, "zh-Hans-CN-u-co-pinyin");
        return ascending ? order : -order;
      });
      rows.forEach((row) => table.tBodies[0].appendChild(row));
    });
  });
  document.getElementById("filter").addEventListener("input", (event) => {
    const words = event.target.value.trim().toLowerCase();
    [...table.tBodies[0].rows].forEach((row) => {
      row.hidden = words && !row.textContent.toLowerCase().includes(words);
    });
  });
}

// --- the case form ---------------------------------------------------------------------------
const form = document.getElementById("case-form");
if (form) {
  const base = "/case/" + form.dataset.case;
  const status = document.getElementById("status");
  const say = (text, kind) => { status.textContent = text; status.className = kind || ""; };

  const post = (action, body) => fetch(base + action, {
    method: "POST", body: body || new FormData(form),
    headers: { "X-CSRF-Token": csrf, "Accept": "application/json" },
  });

  const show = (result) => {
    form.querySelectorAll(".findings").forEach((box) => { box.textContent = ""; });
    form.querySelectorAll(".has-finding").forEach((el) => el.classList.remove("has-finding"));
    const other = document.getElementById("other-findings");
    for (const finding of result.findings) {
      let place = null;
      let path = finding.path;
      while (path && !place) {  // the nearest field or group that holds it
        place = form.querySelector(`[data-path="${CSS.escape(path)}"]`);
        path = path.includes(".") ? path.slice(0, path.lastIndexOf(".")) : "";
      }
      const box = place ? place.querySelector(":scope > .findings") : other;
      const line = document.createElement("div");
      if (finding.rule === "required") {  // not yet filled: the list at the top counts them, no alarm here
        line.className = "finding 未填";
        line.textContent = "必填，尚未填写";
        (place ? place.querySelector(":scope > .findings") || other : other).appendChild(line);
        continue;
      }
      line.className = "finding " + finding.class;
      // beside its own field the field is known: the words alone; elsewhere, which key
      const exact = place && place.dataset.path === finding.path;
      line.textContent = `${finding.class}：${exact ? finding.message : finding.text}〔依据：${finding.clause}〕`;
      (box || other).appendChild(line);
      if (place) place.classList.add("has-finding");
    }
    // the partial verdict: whatever the fields give, and what is still missing, field by field
    const summary = document.getElementById("summary");
    const days = result.days;
    const parts = [];
    if (result.missing.length) parts.push(`未填完：还有 ${result.missing.length} 项必填`);
    if (days.kind) parts.push(days.kind);
    if (days.text) parts.push(days.text);
    if (!result.missing.length) {
      parts.push(result.stops.length ? `不能生成文档：${result.stops.length} 个问题` : "可以生成文档");
    }
    summary.textContent = parts.join("　");
    summary.className = result.missing.length || result.stops.length ? "unfinished" : "ok";
    const missing = document.getElementById("missing");
    missing.textContent = result.missing.length ? `未填：${result.missing.join("、")}` : "";
    const list = document.getElementById("checklist");
    list.textContent = "";
    for (const item of result.items) {
      const li = document.createElement("li");
      li.className = item.status;
      const file = item.file ? item.file.replace(/^evidence\//, "") : "";
      li.textContent = `${item.group} · ${item.name}：${item.status}${file ? "（" + file + "）" : ""}`;
      list.appendChild(li);
    }
  };

  let timer = null, running = 0;
  const refresh = () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const ticket = ++running;
      const checked = await post("/check");
      if (ticket !== running) return;  // a newer round of typing has started
      if (checked.ok) show(await checked.json());
      const drawn = await post("/sketch");
      if (ticket !== running) return;
      const sketch = document.getElementById("sketch");
      if (drawn.status === 200) sketch.innerHTML = await drawn.text();
      else sketch.textContent = "（简图还不能绘制：请填写电源等必填项，并改正接入简图中标出的问题）";
    }, 250);
  };
  form.addEventListener("input", refresh);
  form.addEventListener("change", refresh);

  form.addEventListener("click", (event) => {
    if (event.target.matches("button.add")) {
      const list = event.target.closest("fieldset.list");
      const depth = list.dataset.depth;
      const index = parseInt(list.dataset.next, 10);
      list.dataset.next = index + 1;
      const html = list.querySelector(":scope > template").innerHTML.replaceAll(`__N${depth}__`, index);
      list.querySelector(":scope > .items").insertAdjacentHTML("beforeend", html);
      refresh();
    } else if (event.target.matches("button.remove")) {
      event.target.closest("fieldset.item").remove();
      refresh();
    }
  });

  const conflict = document.getElementById("conflict");
  const showConflict = (result) => {
    // another's save since this page was opened: show it, keep what was typed
    conflict.hidden = false;
    conflict.querySelector("p").textContent = result.error;
    const list = conflict.querySelector("ul");
    list.textContent = "";
    for (const entry of result.since) {
      const item = document.createElement("li");
      const changes = entry.readable.map(([label, old, now]) => `${label}：${old} → ${now}`);
      item.textContent = `${entry.time.slice(0, 16).replace("T", " ")} ${entry.user} ${entry.action}` +
        (changes.length ? `：${changes.join("；")}` : "") + (entry.comment ? `（${entry.comment}）` : "");
      list.appendChild(item);
    }
    conflict.dataset.digest = result.digest;
  };
  const saveConfirm = document.getElementById("save-confirm");
  const save = async (confirmed) => {
    say("正在保存……");
    const body = new FormData(form);
    if (confirmed === true) body.set("confirmed", "1");
    const response = await post("/save", body);
    const result = await response.json();
    if (response.ok) {
      form.querySelector('input[name="digest"]').value = result.digest;
      conflict.hidden = true;
      saveConfirm.hidden = true;
      say("已保存", "ok");
      const shown = document.querySelector("aside .state");
      if (shown && result.state) shown.textContent = result.state;
    } else if (response.status === 409 && result.confirm) {
      // an approved case: said before anything is written, and saved only when confirmed
      saveConfirm.hidden = false;
      saveConfirm.querySelector("p").textContent = result.error;
      say("尚未保存", "error");
    } else {
      if (response.status === 409 && result.since) showConflict(result);
      say(result.error || "保存失败", "error");
    }
  };
  document.getElementById("save").addEventListener("click", () => save(false));
  document.getElementById("save-anyway").addEventListener("click", () => save(true));
  saveConfirm.querySelector(".cancel").addEventListener("click", () => {
    saveConfirm.hidden = true;
    say("没有保存：你填写的内容仍在页面上");
  });

  // a review that talks: refusals said beside the buttons with what was typed kept; an approval
  // with open evidence problems shows them and asks again; done, the page says so at the top
  const review = document.getElementById("review");
  if (review) {
    const told = document.getElementById("review-status");
    const confirmBox = document.getElementById("review-confirm");
    const send = async (action, confirmed) => {
      const body = new FormData(review);
      body.set("action", action);
      if (confirmed) body.set("confirmed", "1");
      told.textContent = "正在提交……";
      told.className = "";
      const response = await fetch(base + "/review", {
        method: "POST", body, headers: { "X-CSRF-Token": csrf, "Accept": "application/json" },
      });
      const result = await response.json();
      if (response.ok) {
        window.location.href = base + "?done=" + encodeURIComponent(action);
        return;
      }
      told.textContent = result.error || "没能完成";
      told.className = "error";
      if (result.confirm && result.problems) {
        confirmBox.hidden = false;
        const list = confirmBox.querySelector("ul");
        list.textContent = "";
        for (const problem of result.problems) {
          const item = document.createElement("li");
          item.textContent = problem;
          list.appendChild(item);
        }
        confirmBox.dataset.action = action;
      }
    };
    review.addEventListener("submit", (event) => {
      event.preventDefault();
      send(event.submitter ? event.submitter.value : "", false);
    });
    document.getElementById("approve-anyway").addEventListener("click", () => send(confirmBox.dataset.action, true));
    confirmBox.querySelector(".cancel").addEventListener("click", () => {
      confirmBox.hidden = true;
      told.textContent = "没有通过审核";
    });
  }

  // the first PDF starts the office program (some seconds): said while it works, then downloaded
  document.getElementById("pdf").addEventListener("click", async (event) => {
    event.preventDefault();
    const address = event.currentTarget.href;
    const started = Date.now();
    const tick = () => say("正在生成 PDF（第一次要先启动办公软件，约需 10 秒）……已用 " +
                           `${Math.round((Date.now() - started) / 1000)} 秒`, "busy");
    tick();
    const timer = setInterval(tick, 1000);
    try {
      const response = await fetch(address, { headers: { "Accept": "application/pdf, application/json" } });
      if (!response.ok) {
        const result = await response.json().catch(() => ({}));
        say(result.error || "没能生成 PDF", "error");
        return;
      }
      const blob = await response.blob();
      const disposition = response.headers.get("content-disposition") || "";
      const name = decodeURIComponent(disposition.split("''")[1] || "案例.pdf");
      const link = document.createElement("a");
      link.href = URL.createObjectURL(blob);
      link.download = name;
      document.body.appendChild(link);
      link.click();
      link.remove();
      say("PDF 已生成", "ok");
    } catch (error) {
      say("没能生成 PDF：连接中断", "error");
    } finally {
      clearInterval(timer);
    }
  });

  document.getElementById("overwrite").addEventListener("click", () => {
    form.querySelector('input[name="digest"]').value = conflict.dataset.digest;
    save(false);
  });

  const upload = document.getElementById("upload");  // not there for a role that only reads
  if (upload) upload.addEventListener("change", async (event) => {
    const body = new FormData();
    for (const file of event.target.files) body.append("file", file);
    say("正在上传……");
    const response = await post("/upload", body);
    const result = await response.json();
    if (!response.ok) { say(result.error || "上传失败", "error"); return; }
    const options = document.getElementById("evidence-files");
    options.textContent = "";
    for (const name of result.files) {
      const option = document.createElement("option");
      option.value = name.replace(/^evidence\//, "");
      options.appendChild(option);
    }
    say(`已上传：${result.stored.join("、")}`, "ok");
    event.target.value = "";
    refresh();
  });

  refresh();
}
