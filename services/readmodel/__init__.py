"""Read models: tables projected from the event log, and the queries over them."""
