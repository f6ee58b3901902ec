// Drives the simulator's chat.js with a fake DOM against a running emulator: node chat_harness.js STATIC_DIR BASE IDS
"use strict";

const fs = require("fs");
const path = require("path");
const vm = require("vm");

class FakeNode {
  constructor(tag, id) {
    Object.assign(this, { tag, id, children: [], style: {}, listeners: {}, dataset: {}, attributes: {} });
    Object.assign(this, { className: "", text: "", value: "", hidden: false, scrollTop: 0, scrollHeight: 0 });
    this.clientHeight = 0;
    this.classList = { add: (name) => { this.className += ` ${name}`; }, toggle: () => {} };
  }

  set textContent(value) { this.text = String(value); this.children = []; }

  get textContent() { return this.text + this.children.map((c) => c.textContent).join(""); }

  set innerHTML(value) { throw new Error("innerHTML must not be used"); }

  appendChild(child) { this.children.push(child); return child; }

  replaceChildren(...children) { this.children = children; this.text = ""; }

  setAttribute(name, value) { this.attributes[name] = String(value); }

  addEventListener(kind, handler) { this.listeners[kind] = handler; }

  focus() {}

  fire(kind) {
    return this.listeners[kind]({ preventDefault() {}, stopPropagation() {}, target: this });
  }

  find(predicate) {
    if (predicate(this)) return this;
    for (const child of this.children) {
      const found = child.find(predicate);
      if (found) return found;
    }
    return null;
  }
}

const [staticDir, base, ids] = process.argv.slice(2);
const nodes = Object.fromEntries(ids.split(",").map((id) => [id, new FakeNode("div", id)]));
nodes.app.dataset.base = base;
const storage = {};
const context = {
  window: { open() {} },
  document: { createElement: (tag) => new FakeNode(tag), getElementById: (id) => nodes[id] || null },
  localStorage: { getItem: (k) => storage[k] || null, setItem: (k, v) => { storage[k] = v; } },
  fetch, crypto, setInterval, setTimeout, console, navigator: {},
};
vm.createContext(context);
for (const name of ["render.js", "chat.js"]) {
  vm.runInContext(fs.readFileSync(path.join(staticDir, name), "utf8"), context, { filename: name });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
async function until(what, check) {
  for (let i = 0; i < 200; i += 1) {
    if (check()) return;
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${what}; chat: ${nodes.chat.textContent}; status: ${nodes.status.text}`);
}

(async () => {
  const seen = {};
  await until("the first user", () => nodes["user-select"].value && nodes.status.text === "準備完了");
  await nodes.follow.fire("click");
  await until("the welcome", () => nodes.chat.textContent.includes("友だち追加ありがとうございます"));
  seen.chips = nodes["quick-replies"].children.map((c) => c.text);
  seen.friend = nodes["friend-state"].text;
  await nodes["quick-replies"].children[1].fire("click");
  await until("the postback reply", () => nodes.chat.textContent.includes("postback a=book"));
  nodes.text.value = "こんにちは<b>";
  await nodes.composer.fire("submit");
  await until("the text reply", () => nodes.chat.textContent.includes("「こんにちは<b>」ですね"));
  await until("the rich menu", () => nodes["rich-menu-areas"].children.length > 0);
  seen.areas = nodes["rich-menu-areas"].children.map((area) => area.attributes["aria-label"]);
  seen.chatBar = nodes["rich-menu-bar"].text;
  await nodes["rich-menu-areas"].children[0].fire("click");
  await until("the rich menu postback", () => nodes.chat.textContent.includes("postback a=talk"));
  seen.chat = nodes.chat.children.map((row) => `${row.className}: ${row.textContent}`);
  seen.status = nodes.status.text;
  process.stdout.write(JSON.stringify(seen));
  process.exit(0);
})().catch((error) => {
  process.stderr.write(String(error.stack || error));
  process.exit(1);
});
