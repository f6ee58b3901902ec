// Renders LINE message objects (text, stickers, images, templates, flex) as DOM nodes; text is never parsed as HTML.
"use strict";

window.EmulatorRender = (() => {
  const FONT_SIZES = { xxs: "11px", xs: "13px", sm: "14px", md: "16px", lg: "19px", xl: "22px", xxl: "29px",
    "3xl": "35px", "4xl": "48px", "5xl": "74px" };
  const SPACES = { none: "0", xs: "2px", sm: "4px", md: "8px", lg: "12px", xl: "16px", xxl: "20px" };
  const MEDIA = { image: "画像", video: "動画", audio: "音声", file: "ファイル" };

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function space(value) {
    return value in SPACES ? SPACES[value] : value;
  }

  function clickable(node, action, perform) {
    if (!action) return node;
    node.classList.add("tappable");
    node.tabIndex = 0;
    node.title = action.label || "";
    node.addEventListener("click", (event) => {
      event.stopPropagation();
      perform(action);
    });
    return node;
  }

  function actionButton(action, perform, className) {
    const button = el("button", className || "action-button", (action && action.label) || "（ラベルなし）");
    button.type = "button";
    button.addEventListener("click", () => perform(action));
    return button;
  }

  function placeholder(label, detail) {
    const box = el("div", "placeholder");
    box.appendChild(el("span", "placeholder-label", label));
    if (detail) box.appendChild(el("span", "placeholder-detail", detail));
    return box;
  }

  // Messages

  function message(msg, perform) {
    switch (msg.type) {
      case "text":
      case "textV2":
        return el("div", "bubble text", msg.text);
      case "sticker":
        return placeholder("スタンプ", `package ${msg.packageId} / sticker ${msg.stickerId}`);
      case "image":
      case "video":
      case "audio":
      case "file":
        return placeholder(MEDIA[msg.type], msg.fileName || "");
      case "location":
        return location(msg);
      case "template":
        return template(msg.template || {}, perform);
      case "flex":
        return flexContainer(msg.contents || {}, perform);
      case "imagemap":
        return placeholder("イメージマップ", msg.altText);
      case "postback":
        return el("div", "bubble text", msg.text || "");
      default:
        return placeholder(`未対応のメッセージ（${msg.type}）`, msg.altText || "");
    }
  }

  function location(msg) {
    const card = el("div", "bubble location");
    card.appendChild(el("strong", null, msg.title || "位置情報"));
    if (msg.address) card.appendChild(el("div", null, msg.address));
    card.appendChild(el("small", null, `${msg.latitude}, ${msg.longitude}`));
    return card;
  }

  // Templates

  function template(tpl, perform) {
    if (tpl.type === "carousel" || tpl.type === "image_carousel") {
      const row = el("div", "carousel");
      (tpl.columns || []).forEach((column) => row.appendChild(templateCard(column, perform, tpl.type)));
      return row;
    }
    return templateCard(tpl, perform, tpl.type);
  }

  function templateCard(card, perform, kind) {
    const node = clickable(el("div", `template template-${kind}`), card.defaultAction, perform);
    if (card.thumbnailImageUrl || card.imageUrl) node.appendChild(placeholder("画像"));
    if (card.title) node.appendChild(el("div", "template-title", card.title));
    if (card.text) node.appendChild(el("div", "template-text", card.text));
    const actions = el("div", kind === "confirm" ? "template-actions confirm" : "template-actions");
    (card.actions || (card.action ? [card.action] : [])).forEach((a) => actions.appendChild(actionButton(a, perform)));
    node.appendChild(actions);
    return node;
  }

  // Flex

  function flexContainer(container, perform) {
    if (container.type === "carousel") {
      const row = el("div", "carousel");
      (container.contents || []).forEach((bubble) => row.appendChild(flexBubble(bubble, perform)));
      return row;
    }
    return flexBubble(container, perform);
  }

  function flexBubble(bubble, perform) {
    const node = clickable(el("div", `flex-bubble size-${bubble.size || "mega"}`), bubble.action, perform);
    const styles = bubble.styles || {};
    ["header", "hero", "body", "footer"].forEach((part) => {
      if (!bubble[part]) return;
      const section = el("div", `flex-section flex-${part}`);
      const style = styles[part] || {};
      if (style.backgroundColor) section.style.backgroundColor = style.backgroundColor;
      if (style.separator) section.style.borderTop = `1px solid ${style.separatorColor || "#ddd"}`;
      section.appendChild(flexComponent(bubble[part], perform, "vertical"));
      node.appendChild(section);
    });
    return node;
  }

  function flexComponent(c, perform, parentLayout) {
    const node = flexNode(c, perform);
    const horizontal = parentLayout === "horizontal" || parentLayout === "baseline";
    const grow = c.flex !== undefined ? c.flex : horizontal && c.type !== "separator" ? 1 : 0;
    node.style.flex = `${grow} ${grow} ${grow ? "0" : "auto"}`;
    if (c.margin) node.style[horizontal ? "marginLeft" : "marginTop"] = space(c.margin);
    if (c.position === "absolute") node.style.position = "absolute";
    ["offsetTop", "offsetBottom", "offsetStart", "offsetEnd"].forEach((key) => {
      const side = { offsetTop: "top", offsetBottom: "bottom", offsetStart: "left", offsetEnd: "right" }[key];
      if (c[key]) node.style[side] = space(c[key]);
    });
    if (c.gravity) node.style.alignSelf = { top: "flex-start", center: "center", bottom: "flex-end" }[c.gravity];
    return c.type === "button" ? node : clickable(node, c.action, perform);
  }

  function flexNode(c, perform) {
    switch (c.type) {
      case "box":
        return flexBox(c, perform);
      case "text":
        return flexText(c);
      case "button": {
        const button = actionButton(c.action, perform, `flex-button style-${c.style || "link"}`);
        if (c.color) button.style[c.style === "link" || !c.style ? "color" : "backgroundColor"] = c.color;
        if (c.height === "sm") button.classList.add("small");
        return button;
      }
      case "separator": {
        const line = el("hr", "flex-separator");
        if (c.color) line.style.borderColor = c.color;
        return line;
      }
      case "image":
      case "video": {
        const box = placeholder(c.type === "image" ? "画像" : "動画");
        const ratio = String(c.aspectRatio || "1.51:1").split(":").map(Number);
        if (ratio[0] > 0 && ratio[1] > 0) box.style.aspectRatio = `${ratio[0]} / ${ratio[1]}`;
        box.classList.add("flex-image");
        return box;
      }
      case "icon":
        return el("span", "flex-icon", "◆");
      case "filler":
        return el("div", "flex-filler");
      default:
        return el("span", "flex-unknown", `［${c.type}］`);
    }
  }

  function flexBox(c, perform) {
    const box = el("div", `flex-box layout-${c.layout || "vertical"}`);
    const style = box.style;
    if (c.spacing) style.gap = space(c.spacing);
    if (c.backgroundColor) style.backgroundColor = c.backgroundColor;
    if (c.borderColor) style.borderColor = c.borderColor;
    if (c.borderWidth) style.borderWidth = { light: "0.5px", normal: "1px", medium: "2px",
      "semi-bold": "3px", bold: "4px" }[c.borderWidth] || c.borderWidth;
    if (c.borderWidth || c.borderColor) style.borderStyle = "solid";
    if (c.cornerRadius) style.borderRadius = space(c.cornerRadius);
    ["width", "maxWidth", "height", "maxHeight"].forEach((key) => { if (c[key]) style[key] = c[key]; });
    if (c.paddingAll) style.padding = space(c.paddingAll);
    ["Top", "Bottom", "Start", "End"].forEach((side) => {
      const value = c[`padding${side}`];
      if (value) style[`padding${{ Start: "Left", End: "Right" }[side] || side}`] = space(value);
    });
    if (c.justifyContent) style.justifyContent = c.justifyContent;
    if (c.alignItems) style.alignItems = c.alignItems;
    (c.contents || []).forEach((child) => box.appendChild(flexComponent(child, perform, c.layout)));
    return box;
  }

  function flexText(c) {
    const text = el("div", "flex-text");
    if (Array.isArray(c.contents) && c.contents.length) {
      c.contents.forEach((span) => {
        const part = el("span", null, span.text);
        if (span.color) part.style.color = span.color;
        if (span.weight === "bold") part.style.fontWeight = "bold";
        if (span.size) part.style.fontSize = FONT_SIZES[span.size] || span.size;
        if (span.style === "italic") part.style.fontStyle = "italic";
        if (span.decoration && span.decoration !== "none") part.style.textDecoration = span.decoration;
        text.appendChild(part);
      });
    } else {
      text.textContent = c.text || "";
    }
    if (c.size) text.style.fontSize = FONT_SIZES[c.size] || c.size;
    if (c.weight === "bold") text.style.fontWeight = "bold";
    if (c.color) text.style.color = c.color;
    if (c.align) text.style.textAlign = { start: "left", end: "right", center: "center" }[c.align];
    if (c.style === "italic") text.style.fontStyle = "italic";
    if (c.decoration && c.decoration !== "none") text.style.textDecoration = c.decoration;
    if (!c.wrap) text.classList.add("nowrap");
    if (c.maxLines) text.style.webkitLineClamp = String(c.maxLines);
    return text;
  }

  return { message, el, placeholder };
})();
