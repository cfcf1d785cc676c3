"""Roster import (名簿の取り込み): a CSV or xlsx roster read, compared with the roster, and
applied all at once after the secretariat confirms the preview.

reading turns the file into rows (rows and values check each row's cells; xlsx_reader,
xlsx_parts and xlsx_archive read an xlsx within fixed limits), drafts keeps the rows between
upload and confirmation, plan compares them with the roster, and apply writes the plan.
"""
