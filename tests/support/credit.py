"""Credit terms (SPEC §10) in the tests: the price of the Flex plan, in which limits are counted."""

from decimal import Decimal

P = Decimal("100.00")
