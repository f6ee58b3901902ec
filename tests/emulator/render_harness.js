// Runs the simulator's render.js against a tiny fake DOM: reads message objects (JSON) on stdin, prints trees.
"use strict";

const fs = require("fs");
const path = require("path");
const vm = require("vm");

class FakeNode {
  constructor(tag) {
    this.tag = tag;
    this.children = [];
    this.style = {};
    this.listeners = {};
    this.className = "";
    this.text = "";
    const node = this;
    this.classList = {
      add: (name) => { node.className = `${node.className} ${name}`.trim(); },
      toggle: () => {},
    };
  }

  set textContent(value) { this.text = String(value); this.children = []; }

  get textContent() { return this.text + this.children.map((c) => c.textContent).join(""); }

  set innerHTML(value) { throw new Error("innerHTML must not be used"); }

  appendChild(child) { this.children.push(child); return child; }

  addEventListener(kind, handler) { this.listeners[kind] = handler; }

  toJSON() {
    const out = { tag: this.tag, className: this.className };
    if (this.text) out.text = this.text;
    if (this.children.length) out.children = this.children;
    if (this.listeners.click) out.clickable = true;
    return out;
  }
}

const context = { window: {}, document: { createElement: (tag) => new FakeNode(tag) } };
vm.createContext(context);
const source = fs.readFileSync(process.argv[2] || path.join(__dirname, "render.js"), "utf8");
vm.runInContext(source, context);
const performed = [];
const messages = JSON.parse(fs.readFileSync(0, "utf8"));
const trees = messages.map((m) => context.window.EmulatorRender.message(m, (action) => performed.push(action)));
process.stdout.write(JSON.stringify({ trees, text: trees.map((t) => t.textContent) }));
