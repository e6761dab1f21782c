"""The dashboard's queries, one module per page, so that indexes or summary tables can go behind them
without touching the pages."""
