-- A decline of the card's issuer (the paymentFailure fault flag: docs/fault-flags.md).
ALTER TABLE payments
    DROP CONSTRAINT payments_decline_reason_check,
    ADD CONSTRAINT payments_decline_reason_check
        CHECK (decline_reason IN ('CARD_DECLINED', 'INSUFFICIENT_FUNDS', 'EXPIRED_CARD', 'INCORRECT_CVV',
                                  'ISSUER_UNAVAILABLE'));
