"""Duties with a clock that fall on people between cases (issue 19): the daily self-inspection report
(daily.py), inspection plans by risk colour (inspections.py) and the officers' monthly duty and 包保
responsibility (officers.py). Pure rules; the store and the sweeps apply them."""
