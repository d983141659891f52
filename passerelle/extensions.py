"""Extensions created unbound; ``create_app`` binds them."""

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf import CSRFProtect

csrf = CSRFProtect()
login_manager = LoginManager()
# Public API endpoints only (simulator, communes…); logins are throttled in the database instead.
limiter = Limiter(key_func=get_remote_address, default_limits=[])
