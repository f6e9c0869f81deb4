"""The monthly job: configuration, history and the run that writes one workbook."""
