"""The one way the operator portal writes a date and a time: ``2026-05-04 10:12`` (ISO order,
24 h), in lists, detail pages and third-party admin pages alike. Input formats stay Django's.
The customer portal names its own formats in its templates."""

DATE_FORMAT = "Y-m-d"
DATETIME_FORMAT = "Y-m-d H:i"
TIME_FORMAT = "H:i"
SHORT_DATE_FORMAT = "Y-m-d"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
