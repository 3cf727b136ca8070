"""Work on a selection of cases from the case list: reassign, hold, letters, SMS, export — a background job each."""
