"""The reports that leave the kiosk, each one's data and its forms (CSV, printed HTML) together, below
Qt: kiosk/ui/report_pdf.py only prints the HTML to PDF.

daily.py: the daily report's data (and today's statistics); daily_csv.py: its CSV; daily_html.py: its
printed form."""
