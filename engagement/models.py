"""Voice and two-sided accountability: the vendor's commitments measured, the partner pulse, the
ideas and questions board, and relationship health."""
