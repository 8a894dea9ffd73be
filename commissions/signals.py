"""Signals the commissions app sends for the apps above it to act on, without importing them."""

from django.dispatch import Signal

# Sent inside the import's transaction, once the batch's sales are inserted.
# Arguments: batch_id, and sales: the created sale rows as dicts (external_id, partner_id,
# customer_name, customer_tax_id, invoice_date, ...). A receiver's error rolls the import back.
sales_imported = Signal()
