"""A test-only sign-in method contributed the way an addon does (procura.extra_hooks =
authmethod_hooks): the sign-in page offers it as a button; the addon's own view (at ``url``) would
run the method and finish with ``procura.security.auth.complete_sign_in``, as the OIDC views do."""
from procura import hookimpl
from procura.i18n import _
from procura.security.auth import AuthMethod


@hookimpl
def procura_auth_methods(request):
    return [AuthMethod("magic", _("Magic link"), "/magic/start", icon="bi-magic", order=5)]
