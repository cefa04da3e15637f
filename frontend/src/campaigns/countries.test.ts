import { describe, expect, it } from "vitest";
import { COMMON, COUNTRIES, countryName, countryOptions, example, regionOf } from "./countries";

describe("the country of numbers written without +", () => {
  it("is the browser's region by default, or none", () => {
    expect(regionOf("en-US")).toBe("US");
    expect(regionOf("fr-FR")).toBe("FR");
    expect(regionOf("en-GB")).toBe("GB");
    expect(regionOf("zh-Hant-TW")).toBe("TW");
    expect(regionOf("en")).toBeNull();
    expect(regionOf(undefined)).toBeNull();
    expect(regionOf("not a tag!")).toBeNull();
    expect(regionOf("es-419")).toBeNull();   // Latin America: a region that is no country
  });
  it("is chosen by readable names, the common countries first", () => {
    expect(countryName("US", "en")).toBe("United States");
    expect(countryName("DE", "de")).toBe("Deutschland");
    const { common, all } = countryOptions("en");
    expect(common.map((c) => c.code).sort()).toEqual([...COMMON].sort());
    expect(common[0].name).toBe("Australia");
    expect(all).toHaveLength(COUNTRIES.length);
    expect(all.find((c) => c.code === "GB")?.name).toBe("United Kingdom");
    expect(COMMON.every((c) => COUNTRIES.includes(c))).toBe(true);
  });
  it("has a local example for each common country", () => {
    expect(COMMON.every((c) => example(c))).toBe(true);
    expect(example("US")).toBe("(212) 555-0142");
    expect(example("TV")).toBeNull();
  });
});
