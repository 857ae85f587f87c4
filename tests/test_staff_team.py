"""The team: administrators add and disable staff accounts, and the create-staff command."""

from booking.extensions import db
from booking.models import StaffUser
from tests.fixtures.staff import log_in


def test_administrators_add_and_disable_staff(app, boss, desk):
    assert desk.get("/staff/team").status_code == 403
    added = boss.post_form("/staff/team", {"email": "New@Clinic.example"})
    assert added.status_code == 303
    duplicate = boss.post_form("/staff/team", {"email": "new@clinic.example"})
    assert "There is already an account with that email address." in duplicate.get_data(as_text=True)
    # Invited, not yet set up: no password works (tests/test_staff_invitations.py follows the link).
    assert log_in(app.test_client(), "new@clinic.example", "first passphrase!").status_code == 200

    with app.app_context():
        desk_id = db.session.execute(db.select(StaffUser.id).filter_by(email="desk@clinic.test")).scalar_one()
        boss_id = db.session.execute(db.select(StaffUser.id).filter_by(email="boss@clinic.test")).scalar_one()
    assert boss.post_form(f"/staff/team/{desk_id}/enabled", page="/staff/team").status_code == 303
    assert desk.get("/staff").status_code == 200  # not confirmed: the box beside the red button was not ticked
    assert boss.post_form(f"/staff/team/{desk_id}/enabled", {"confirm": "yes"}, page="/staff/team").status_code == 303
    assert desk.get("/staff").status_code == 302  # the disabled member's session ends at once
    # The page offers no button for it; a hand-made request with a valid token is refused all the same.
    boss.post(f"/staff/team/{boss_id}/enabled", data={"csrf_token": boss.csrf_token("/staff/team")})
    assert boss.get("/staff").status_code == 200  # an administrator cannot lock themselves out


def test_create_staff_command(app, runner):
    by_stdin = runner.invoke(args=["create-staff", "Owner@Clinic.test", "--admin", "--password-stdin"],
                             input="owner passphrase 1\n")
    assert by_stdin.exit_code == 0, by_stdin.output
    prompted = runner.invoke(args=["create-staff", "front@clinic.test"], input="front passphrase 1\nfront passphrase 1\n")
    assert prompted.exit_code == 0, prompted.output
    short = runner.invoke(args=["create-staff", "short@clinic.test", "--password-stdin"], input="short\n")
    assert short.exit_code != 0 and "at least 12 characters" in short.output
    again = runner.invoke(args=["create-staff", "owner@clinic.test", "--password-stdin"], input="owner passphrase 2\n")
    assert again.exit_code != 0 and "already a staff account" in again.output
    with app.app_context():
        owner = db.session.execute(db.select(StaffUser).filter_by(email="owner@clinic.test")).scalar_one()
        front = db.session.execute(db.select(StaffUser).filter_by(email="front@clinic.test")).scalar_one()
    assert owner.is_admin and not front.is_admin
    assert owner.password_hash.startswith("scrypt:")
    assert "owner passphrase 1" not in owner.password_hash
