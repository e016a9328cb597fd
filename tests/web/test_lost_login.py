"""A login whose answer is lost (the worker died after the commit) is tried again from the same
browser: it is the same device, not a second one (the device token comes with the login page)."""

from delivery_support import candidate_login


def test_a_login_retried_after_a_lost_answer_is_the_same_device(app, world):
    world.open(world.a)
    browser = app.test_client()
    assert browser.get("/").status_code == 200
    before = browser.get_cookie("tb_session").value  # what the browser holds before sending
    assert candidate_login(browser, world.a).status_code == 302  # committed; say it was lost
    again = app.test_client()
    again.set_cookie("tb_session", before)
    assert candidate_login(again, world.a).status_code == 302
    assert "Zo werkt de toets" in again.get("/toets").get_data(as_text=True)
    other_pc = app.test_client()
    other_pc.get("/")
    assert candidate_login(other_pc, world.a).status_code == 409  # another PC stays refused
