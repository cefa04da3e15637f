import { describe, expect, it } from "vitest";
import { byWhom } from "./authors";

describe("byWhom", () => {
  const now = new Date().toISOString();
  it("says a version read from the flows folder came from the flow's file, not 'by file on disk'", () => {
    expect(byWhom("file on disk", now, "after-hours")).toBe("from the file after-hours.yaml · just now");
    expect(byWhom("file on disk", now)).toBe("from the file in the flows folder · just now");
  });
  it("names a person who published", () => {
    expect(byWhom("Ana", now)).toBe("by Ana · just now");
    expect(byWhom("", now)).toBe("by someone · just now");
  });
});
