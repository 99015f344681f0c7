// Validate Adaptive Cards with the official `adaptivecards` renderer library (under jsdom).
// Reads a JSON array of cards on stdin; prints [{"errors": [...], "warnings": [...]}] per card.
// A card fails on any parse event (unknown types, invalid values) or validation failure at schema
// version 1.5, and when it does not render.
"use strict";
const { JSDOM } = require("jsdom");

const dom = new JSDOM("<!DOCTYPE html><body></body>");
global.window = dom.window;
for (const name of Object.getOwnPropertyNames(dom.window)) {
  if (!(name in global)) {
    try {
      global[name] = dom.window[name];
    } catch (e) {
      // read-only globals stay node's own
    }
  }
}
// The library talks on the console; keep stdout for our JSON answer.
const write = (chunk) => process.stdout.write(chunk);
console.log = console.info = console.warn = console.debug = (...args) => process.stderr.write(args.join(" ") + "\n");
// The UMD bundle: lib/ is ES modules with extension-less imports node cannot load.
const AC = require("adaptivecards/dist/adaptivecards.js");

function describe(event) {
  return `${AC.ValidationEvent[event.event] || event.event}: ${event.message}`;
}

function validate(json) {
  const errors = [];
  const warnings = [];
  const context = new AC.SerializationContext(AC.Versions.v1_5);
  const card = new AC.AdaptiveCard();
  card.parse(json, context);
  for (let i = 0; i < context.eventCount; i++) {
    const event = context.getEventAt(i);
    errors.push(describe(event));
  }
  const results = card.validateProperties();
  for (const event of results.validationEvents) errors.push(describe(event));
  if (card.version && (card.version.major !== 1 || card.version.minor > 5)) {
    errors.push(`version ${card.version} is above 1.5`);
  }
  let rendered = null;
  try {
    rendered = card.render();
  } catch (e) {
    errors.push(`render failed: ${e}`);
  }
  if (!rendered) errors.push("render produced nothing");
  return { errors, warnings };
}

let input = "";
process.stdin.on("data", (chunk) => (input += chunk));
process.stdin.on("end", () => {
  const cards = JSON.parse(input);
  write(JSON.stringify(cards.map(validate)) + "\n");
});
