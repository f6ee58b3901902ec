// The chat simulator: acts as LINE users through /emulator/api and shows both sides of the conversation.
"use strict";

(() => {
  const R = window.EmulatorRender;
  const $ = (id) => document.getElementById(id);
  const base = $("app").dataset.base;
  const POLL_MS = 1500;
  const PICKER_TYPES = { date: "date", time: "time", datetime: "datetime-local" };
  const SAMPLE_LOCATION = { title: "横浜市役所", address: "神奈川県横浜市中区本町6丁目50番地の10",
    latitude: 35.4503, longitude: 139.6342 };
  const state = { user: null, users: [], after: 0, pending: 0, menuKey: "", pickerAction: null, polling: null };

  async function call(method, path, body) {
    const options = { method, headers: {} };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    const response = await fetch(`${base}api/${path}`, options);
    const data = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(data.error || `HTTP ${response.status}`);
    return data;
  }

  function status(text) {
    $("status").textContent = text;
  }

  function newUserId() {
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return `U${Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")}`;
  }

  // Users

  async function loadUsers(select) {
    state.users = (await call("GET", "users")).users;
    if (!state.users.length) {
      await call("POST", `users/${newUserId()}`, {});
      state.users = (await call("GET", "users")).users;
    }
    const list = $("user-select");
    list.replaceChildren(...state.users.map((u) => {
      const option = R.el("option", null, u.displayName);
      option.value = u.userId;
      return option;
    }));
    const wanted = select || state.user || localStorage.getItem("emulator-user");
    const user = state.users.find((u) => u.userId === wanted) || state.users[0];
    list.value = user.userId;
    if (user.userId !== state.user) switchUser(user.userId);
    $("friend-state").textContent = user.following ? "友だち" : "友だちではありません";
  }

  function switchUser(userId) {
    state.user = userId;
    state.after = 0;
    state.menuKey = "";
    localStorage.setItem("emulator-user", userId);
    $("chat").replaceChildren();
    showQuickReplies([]);
    poll();
  }

  // Sending

  async function exchange(path, body) {
    const user = state.user;
    showQuickReplies([]);
    state.pending += 1;
    $("typing").hidden = false;
    try {
      const result = await call("POST", `users/${user}/${path}`, body);
      status(result.status ? `Webhook ${result.status}` : "Webhook に届きませんでした");
    } catch (error) {
      status(`エラー: ${error.message}`);
    } finally {
      state.pending -= 1;
      $("typing").hidden = state.pending === 0;
      await poll();
    }
  }

  function sendMessage(message) {
    return exchange("messages", message);
  }

  function sendPostback(data, params, displayText) {
    return exchange("postback", { data: data || "", params: params || {}, displayText });
  }

  function perform(action) {
    if (!action) return;
    switch (action.type) {
      case "message":
        return sendMessage({ text: action.text || action.label });
      case "postback":
        return sendPostback(action.data, {}, action.displayText || action.text);
      case "datetimepicker":
        return openPicker(action);
      case "uri":
        if (/^(https?|tel):/i.test(action.uri || "")) window.open(action.uri, "_blank", "noopener");
        else status(`開けない URI: ${action.uri}`);
        return undefined;
      case "location":
        return sendMessage({ type: "location", ...SAMPLE_LOCATION });
      case "camera":
      case "cameraRoll":
        return sendMessage({ type: "image" });
      case "clipboard":
        if (navigator.clipboard) navigator.clipboard.writeText(action.clipboardText || "");
        status("クリップボードにコピーしました");
        return undefined;
      case "richmenuswitch":
        return sendPostback(action.data, { newRichMenuAliasId: action.richMenuAliasId, status: "SUCCESS" });
      default:
        status(`未対応のアクション: ${action.type}`);
        return undefined;
    }
  }

  function openPicker(action) {
    const input = $("picker-input");
    input.type = PICKER_TYPES[action.mode] || "date";
    const upper = (value) => (value || "").replace("t", "T");
    input.min = upper(action.min);
    input.max = upper(action.max);
    input.value = upper(action.initial);
    $("picker-label").textContent = action.label || "日時を選んでください";
    state.pickerAction = action;
    $("picker").hidden = false;
    input.focus();
  }

  function closePicker() {
    $("picker").hidden = true;
    state.pickerAction = null;
  }

  // Receiving

  function showQuickReplies(items) {
    const bar = $("quick-replies");
    bar.replaceChildren(...items.map((item) => {
      const chip = R.el("button", "chip", (item.action && item.action.label) || "");
      chip.type = "button";
      chip.addEventListener("click", () => perform(item.action));
      return chip;
    }));
  }

  function renderEntry(entry) {
    const chat = $("chat");
    if (entry.from === "user" && (entry.via === "follow" || entry.via === "unfollow")) {
      const note = entry.via === "follow" ? "友だち追加しました" : "ブロックしました";
      chat.appendChild(R.el("div", "system", note));
      return;
    }
    const row = R.el("div", `row ${entry.from}`);
    const time = new Date(entry.at).toLocaleTimeString("ja-JP", { hour: "2-digit", minute: "2-digit" });
    const message = entry.message || {};
    const column = R.el("div", "column");
    if (entry.from === "bot" && message.sender && message.sender.name) {
      column.appendChild(R.el("div", "sender", message.sender.name));
    }
    column.appendChild(R.message(message, perform));
    row.appendChild(column);
    row.appendChild(R.el("span", "meta", entry.from === "bot" ? `${time} ${entry.via}` : time));
    chat.appendChild(row);
    if (entry.from === "bot") showQuickReplies((message.quickReply && message.quickReply.items) || []);
  }

  function poll() {
    // One poll at a time; a poll asked for while one runs starts when it ends.
    state.polling = (state.polling || Promise.resolve()).then(pollOnce);
    return state.polling;
  }

  async function pollOnce() {
    const user = state.user;
    if (!user) return;
    try {
      const data = await call("GET", `users/${user}/timeline?after=${state.after}`);
      if (user !== state.user) return;
      if (data.last < state.after) {
        switchUser(user);
        return;
      }
      const atBottom = isAtBottom();
      data.entries.forEach((entry) => {
        state.after = Math.max(state.after, entry.seq);
        renderEntry(entry);
      });
      if (data.entries.length && atBottom) $("chat").scrollTop = $("chat").scrollHeight;
      await refreshRichMenu(user);
      const violations = (await call("GET", "violations")).violations;
      $("violations").textContent = `API違反 ${violations.length}件`;
      $("violations").classList.toggle("has-violations", violations.length > 0);
    } catch (error) {
      status(`接続できません: ${error.message}`);
    }
  }

  function isAtBottom() {
    const chat = $("chat");
    return chat.scrollHeight - chat.scrollTop - chat.clientHeight < 80;
  }

  async function refreshRichMenu(user) {
    const data = await call("GET", `richmenu/${user}`);
    const menu = data.richMenu;
    const key = menu && data.imageUrl ? `${menu.richMenuId}` : "";
    if (key === state.menuKey) return;
    state.menuKey = key;
    $("rich-menu").hidden = !key;
    if (!key) return;
    $("rich-menu-bar").textContent = `${menu.chatBarText || "メニュー"} ▾`;
    $("rich-menu-body").hidden = !menu.selected;
    $("rich-menu-bar").setAttribute("aria-expanded", String(Boolean(menu.selected)));
    $("rich-menu-image").src = data.imageUrl;
    const { width, height } = menu.size;
    $("rich-menu-body").style.aspectRatio = `${width} / ${height}`;
    $("rich-menu-areas").replaceChildren(...(menu.areas || []).map((area, i) => {
      const b = area.bounds;
      const button = R.el("button", "rich-menu-area");
      button.type = "button";
      button.setAttribute("aria-label", (area.action && area.action.label) || `エリア ${i + 1}`);
      Object.assign(button.style, { left: `${(b.x / width) * 100}%`, top: `${(b.y / height) * 100}%`,
        width: `${(b.width / width) * 100}%`, height: `${(b.height / height) * 100}%` });
      button.addEventListener("click", () => perform(area.action));
      return button;
    }));
  }

  // Wiring

  $("composer").addEventListener("submit", (event) => {
    event.preventDefault();
    const text = $("text").value;
    if (!text.trim()) return;
    $("text").value = "";
    sendMessage({ text });
  });
  $("user-select").addEventListener("change", (event) => loadUsers(event.target.value));
  $("add-user").addEventListener("submit", async (event) => {
    event.preventDefault();
    const userId = newUserId();
    const displayName = $("new-user-name").value.trim();
    await call("POST", `users/${userId}`, displayName ? { displayName } : {});
    $("new-user-name").value = "";
    await loadUsers(userId);
  });
  $("follow").addEventListener("click", async () => {
    await exchange("follow");
    await loadUsers();
  });
  $("unfollow").addEventListener("click", async () => {
    await exchange("unfollow");
    await loadUsers();
  });
  $("extras-toggle").addEventListener("click", () => { $("extras").hidden = !$("extras").hidden; });
  $("extras").addEventListener("click", (event) => {
    const kind = event.target.dataset && event.target.dataset.kind;
    if (!kind) return;
    $("extras").hidden = true;
    if (kind === "sticker") sendMessage({ type: "sticker", packageId: "446", stickerId: "1988" });
    if (kind === "image") sendMessage({ type: "image" });
    if (kind === "location") sendMessage({ type: "location", ...SAMPLE_LOCATION });
  });
  $("picker-send").addEventListener("click", () => {
    const action = state.pickerAction;
    const value = $("picker-input").value;
    if (!action || !value) return;
    closePicker();
    sendPostback(action.data, { [action.mode || "date"]: value });
  });
  $("picker-cancel").addEventListener("click", closePicker);
  $("rich-menu-bar").addEventListener("click", () => {
    const body = $("rich-menu-body");
    body.hidden = !body.hidden;
    $("rich-menu-bar").setAttribute("aria-expanded", String(!body.hidden));
  });

  loadUsers().then(() => status("準備完了")).catch((error) => status(`接続できません: ${error.message}`));
  setInterval(poll, POLL_MS);
})();
