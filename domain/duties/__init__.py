"""Duties with a clock between cases: inspection plans by risk colour (inspections.py) and the officers'
monthly duty and 包保 responsibility (officers.py). Pure rules; the store and the sweep apply them."""
