"""The sign-in page: with FLOWSTUDIO_PASSWORD set, the editor asks for it before anything."""
import pytest
from playwright.sync_api import expect

from .conftest import Server


@pytest.fixture(scope="module")
def locked_server(tmp_path_factory):
    srv = Server(tmp_path_factory.mktemp("locked"), FLOWSTUDIO_PASSWORD="open sesame")
    yield srv
    srv.stop()


def test_sign_in_with_the_password_then_sign_out(browser, locked_server):
    context = browser.new_context(base_url=locked_server.base)
    page = context.new_page()
    page.set_default_timeout(5000)
    page.goto("/")
    expect(page.get_by_text("Sign in to edit your flows.")).to_be_visible()
    assert page.request.get("/api/flows").status == 401, "the API is closed before signing in"

    page.get_by_label("Your name").fill("Ana")
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("That password is not right.")).to_be_visible()

    page.get_by_label("Password").fill("open sesame")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Your flows")).to_be_visible()
    expect(page.get_by_text("appointment-confirmation").first).to_be_visible()

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("Sign in to edit your flows.")).to_be_visible()
    assert page.request.get("/api/flows").status == 401
    context.close()
