"""Test-only job types for the scheduled jobs tests (``procura.extra_hooks = scheduled_hooks``).

- ``test.echo``: returns its ``message`` parameter and notes the call in ``CALLS``.
- ``test.fail``: changes its job's label, then fails (the change must roll back; the error, whose
  text holds a password, must be recorded without it).
- ``test.input``: takes a list filter as input and notes the ids it was given.
"""
import colander
from procura import hookimpl
from procura.i18n import _
from procura.jobs.scheduled import JobType

CALLS: list = []


def echo_params(request):
    schema = colander.SchemaNode(colander.Mapping(unknown="raise"))
    schema.add(colander.SchemaNode(colander.String(), name="message", validator=colander.Length(max=50)))
    schema.add(colander.SchemaNode(colander.Integer(), name="times", missing=1,
                                   validator=colander.Range(min=1, max=3)))
    return schema


def echo(request, job, params):
    CALLS.append(("echo", job.id, dict(params)))
    return {"echo": params["message"] * params["times"]}


def fail(request, job, params):
    CALLS.append(("fail", job.id, dict(params)))
    job.label = "changed by a failing job"
    raise RuntimeError("boom: could not reach smtp://mailer:hunter2@mail.example (password=hunter2)")


def take_input(request, job, params):
    CALLS.append(("input", job.id, dict(params)))
    return f"{len(params['input_ids'])} record(s) of {params['input_type']}"


@hookimpl
def procura_job_types():
    return [
        JobType("test.echo", _("Echo"), echo, params=echo_params, description=_("Says it back.")),
        JobType("test.fail", _("Always fails"), fail),
        JobType("test.input", _("Counts its input"), take_input, takes_saved_filter=True),
    ]
