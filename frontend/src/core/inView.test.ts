import { describe, expect, it } from "vitest";
import { clearSpot, hidden } from "./inView";

const view = { left: 200, top: 50, right: 960, bottom: 800 };
const map = { left: 750, top: 640, right: 950, bottom: 790 };      // bottom right
const toolbar = { left: 210, top: 60, right: 520, bottom: 100 };   // top left

describe("following the current widget", () => {
  it("finds a widget under the map, or partly off the canvas, hidden", () => {
    expect(hidden({ left: 700, top: 600, right: 960, bottom: 700 }, view, [map, toolbar])).toBe(true);
    expect(hidden({ left: 100, top: 300, right: 360, bottom: 400 }, view, [map])).toBe(true);
    expect(hidden({ left: 300, top: 300, right: 560, bottom: 400 }, view, [map, toolbar])).toBe(false);
  });

  it("aims at the middle of what the map and toolbar leave free", () => {
    const spot = clearSpot(view, [map, toolbar]);
    // Above the map (its height is taken from the bottom: that leaves more room), below the toolbar.
    expect(spot).toEqual({ x: (200 + 960) / 2, y: (100 + 640) / 2 });
    const node = { left: spot.x - 130, top: spot.y - 50, right: spot.x + 130, bottom: spot.y + 50 };
    expect(hidden(node, view, [map, toolbar])).toBe(false);
  });

  it("takes a tall map's width, not its height", () => {
    const tall = { left: 760, top: 100, right: 950, bottom: 790 };
    expect(clearSpot(view, [tall])).toEqual({ x: (200 + 760) / 2, y: (50 + 800) / 2 });
  });
});
