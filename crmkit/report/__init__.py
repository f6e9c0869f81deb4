"""Rendering: workbooks (:mod:`crmkit.report.excel`, :mod:`crmkit.report.sheets`), csv / json /
parquet tables (:mod:`crmkit.report.tables`) and the labels they speak (:mod:`crmkit.report.i18n`)."""
