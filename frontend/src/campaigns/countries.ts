// The country a list's numbers are in when written without + ("(212) 555-0142" in the
// US): the choices of the "Numbers without + are in" select, by name in the reader's
// language, and the browser's own country as the default.

/** Every country the server can read numbers of (libphonenumber's regions, as
 *  flowstudio/campaigns.py's _COUNTRIES). */
export const COUNTRIES = "AC AD AE AF AG AI AL AM AO AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GT GU GW GY HK HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TA TC TD TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG US UY UZ VA VC VE VG VI VN VU WF WS XK YE YT ZA ZM ZW".split(" ");

/** Listed first: where most lists come from. */
export const COMMON = ["US", "CA", "GB", "IE", "AU", "NZ", "IN", "FR", "DE", "ES", "IT", "NL", "BR", "MX"];

/** The country of a language tag (en-US -> US), or null when it names none (en) or is
 *  one the server does not know. */
export function regionOf(language: string | undefined): string | null {
  if (!language) return null;
  try {
    const region = new Intl.Locale(language).region;
    return region && COUNTRIES.includes(region) ? region : null;
  } catch {
    return null;   // not a language tag
  }
}

/** The browser's country (navigator.language), or null. */
export function browserCountry(): string | null {
  return regionOf(typeof navigator === "undefined" ? undefined : navigator.language);
}

/** A country's name in the reader's language ("United States"), its code when the
 *  browser has no names. */
export function countryName(code: string, locale?: string): string {
  try {
    return new Intl.DisplayNames(locale ? [locale] : undefined, { type: "region" }).of(code) ?? code;
  } catch {
    return code;
  }
}

/** The select's choices: the common countries, then all of them, each group by name. */
export function countryOptions(locale?: string): { common: Choice[]; all: Choice[] } {
  const named = (codes: string[]) => codes.map((code) => ({ code, name: countryName(code, locale) }))
    .sort((a, b) => a.name.localeCompare(b.name, locale));
  return { common: named(COMMON), all: named(COUNTRIES) };
}

// How a local number is written in a few countries, for the hint under the select.
const EXAMPLES: Record<string, string> = {
  US: "(212) 555-0142", CA: "(416) 555-0142", GB: "020 7946 0018", IE: "01 234 5678", AU: "(02) 9876 5432",
  NZ: "09 379 1234", IN: "098765 43210", FR: "06 12 34 56 78", DE: "030 123456", ES: "612 34 56 78",
  IT: "06 1234 5678", NL: "020 123 4567", BR: "(11) 91234-5678", MX: "55 1234 5678",
};

/** A number as it is written at home in `code`, or null when none is known. */
export function example(code: string): string | null {
  return EXAMPLES[code] ?? null;
}

export interface Choice {
  code: string;
  name: string;
}
