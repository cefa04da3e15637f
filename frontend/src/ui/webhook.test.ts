// Which webhook URLs Twilio cannot reach (the editor says so beside them).
import { describe, expect, it } from "vitest";
import { unreachableByTwilio } from "./webhook";

describe("unreachableByTwilio", () => {
  it("knows the addresses of this computer and of private networks", () => {
    for (const url of ["http://localhost:5000/webhooks/a", "http://127.0.0.1:5000/webhooks/a",
      "http://[::1]:5000/webhooks/a",
      "http://flows.localhost/webhooks/a", "http://192.168.1.20:5000/webhooks/a", "http://10.0.0.5/webhooks/a",
      "http://172.20.1.1/webhooks/a", "http://office-pc:5000/webhooks/a", "http://school.local/webhooks/a"]) {
      expect(unreachableByTwilio(url), url).toBe(true);
    }
  });

  it("leaves public addresses alone", () => {
    for (const url of ["https://flows.example.com/webhooks/a", "http://203.0.113.9/webhooks/a",
      "http://172.32.0.1/webhooks/a",
      "https://abc.ngrok-free.app/webhooks/a", "not a url"]) {
      expect(unreachableByTwilio(url), url).toBe(false);
    }
  });
});
