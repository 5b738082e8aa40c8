"""Sealing personal data: ID numbers and phones encrypted, keyed-hashed for look-up, masked."""

from dataclasses import dataclass

from matching.errors import Unprocessable
from matching.kit.crypto import FieldCipher, KeyedHasher
from matching.kit.idnumber import InvalidIdNumber, ParsedIdNumber, parse_id_number
from matching.kit.masking import mask_id_number, mask_phone
from matching.kit.phone import InvalidPhone, normalise_phone
from matching.regions.registry import get_registry
from matching.settings import Settings


@dataclass(frozen=True, slots=True)
class SealedIdNumber:
    """An ID number as stored."""

    parsed: ParsedIdNumber
    cipher: str
    digest: str
    mask: str


@dataclass(frozen=True, slots=True)
class SealedPhone:
    """A phone number as stored."""

    cipher: str
    mask: str
    digest: str  # the keyed hash staff find the labourer by


class PersonalData:
    """Encrypts, hashes and masks personal fields with the service's keys."""

    def __init__(self, settings: Settings) -> None:
        self.cipher = FieldCipher(
            settings.data_key.get_secret_value(),
            old_secrets=[k.get_secret_value() for k in settings.old_data_keys],
        )
        self.hasher = KeyedHasher(settings.hash_key.get_secret_value())

    def id_digest(self, raw: str, *, field: str = "id_number") -> str:
        """The keyed hash used to find a labourer by ID number."""
        return self.seal_id_number(raw, field=field).digest

    def seal_id_number(self, raw: str, *, field: str = "id_number") -> SealedIdNumber:
        """Validate (check digit, birth date, region) and seal an ID number, or 422 on the field."""
        try:
            parsed = parse_id_number(raw, is_known_region=get_registry().is_valid_id_region)
        except InvalidIdNumber as exc:
            raise Unprocessable.for_field(field, str(exc), f"id_number_{exc.reason}") from exc
        return SealedIdNumber(
            parsed=parsed,
            cipher=self.cipher.encrypt(parsed.number),
            digest=self.hasher.digest(parsed.number),
            mask=mask_id_number(parsed.number),
        )

    def normalised_phone(self, raw: str, *, field: str = "phone") -> str:
        """A phone number in its one stored form, or 422 on the field."""
        try:
            return normalise_phone(raw)
        except InvalidPhone as exc:
            raise Unprocessable.for_field(field, str(exc), "phone") from exc

    def seal_phone(self, raw: str, *, field: str = "phone") -> SealedPhone:
        """Validate and seal a phone number, or 422 on the field."""
        phone = self.normalised_phone(raw, field=field)
        return SealedPhone(
            cipher=self.cipher.encrypt(phone),
            mask=mask_phone(phone),
            digest=self._phone_hash(phone),
        )

    def phone_digest(self, raw: str, *, field: str = "phone") -> str:
        """The keyed hash used to find a labourer by phone, or 422 on the field."""
        return self._phone_hash(self.normalised_phone(raw, field=field))

    def _phone_hash(self, phone: str) -> str:
        # Its own domain, so that a phone's hash can never equal an ID number's.
        return self.hasher.digest(f"phone:{phone}")

    def reveal(self, cipher: str | None) -> str | None:
        """Decrypt a sealed field (callers audit the read)."""
        return None if cipher is None else self.cipher.decrypt(cipher)
