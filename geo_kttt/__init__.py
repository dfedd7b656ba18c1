"""geo-kttt: an atlas of circular-economy (KTTH) sites in An Giang, Viet Nam."""

__version__ = "0.1.0"
