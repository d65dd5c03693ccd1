"""lightsnap-scheduler: a daily light snapshot of every instance that asked
for one (``daily``), with retention, through the REST API."""
