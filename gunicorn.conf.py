"""Read by gunicorn from the working directory (docker-compose's web service): its own log
lines in the project's format, one JSON object a line in production (R35)."""

from postpay_portal.logs import gunicorn_logconfig, json_lines_from_env

logconfig_dict = gunicorn_logconfig(json_lines=json_lines_from_env())
