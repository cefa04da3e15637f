// What the New flow dialog accepts as a file exported from Twilio Studio.
import { describe, expect, it } from "vitest";
import { readStudioFile } from "./FlowList";

const definition = {
  description: "", initial_state: "Trigger", flags: {}, states: [{ name: "Trigger", type: "trigger" }],
};

describe("readStudioFile", () => {
  it("takes Studio's export, the REST API's Flow, and the twilio CLI's list of it", () => {
    for (const data of [definition, { sid: "FW1", definition }, [{ sid: "FW1", definition }]]) {
      expect(readStudioFile("f.json", JSON.stringify(data))).toEqual({ definition: data });
    }
  });

  it("says what is wrong with any other file, naming it", () => {
    expect(readStudioFile("pupils.csv", "name,class\nTom,3B")).toEqual(
      { error: "pupils.csv is not a flow exported from Twilio Studio: it is not a JSON file." });
    expect(readStudioFile("list.json", "[1, 2]")).toEqual(
      { error: 'list.json is not a flow exported from Twilio Studio: it has no widgets ("states").' });
  });
});
