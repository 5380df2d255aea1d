"""Base entity of the Fluvius integration, and how each platform adds a meter's entities."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity import Entity, EntityDescription
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .api.models import MeterType
from .api.security import mask_ean
from .const import CONFIGURATION_URL, DOMAIN, MANUFACTURER
from .coordinator import FluviusCoordinator
from .models import FluviusConfigEntry


def meter_added_signal(entry_id: str) -> str:
    """The dispatcher signal of a meter set up in a loaded entry (its subentry ID)."""
    return f"{DOMAIN}_{entry_id}_meter_added"


@callback
def async_add_meter_entities(
    hass: HomeAssistant,
    entry: FluviusConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
    entities_of: Callable[[FluviusCoordinator], Iterable[Entity]],
) -> None:
    """Add each meter's entities of one platform, on the meter's subentry: the meters set up
    with the entry now, and every meter added later (without reloading the account)."""

    @callback
    def add(subentry_id: str) -> None:
        coordinator = entry.runtime_data.meters[subentry_id]
        async_add_entities(list(entities_of(coordinator)), config_subentry_id=subentry_id)

    for subentry_id in entry.runtime_data.meters:
        add(subentry_id)
    entry.async_on_unload(async_dispatcher_connect(hass, meter_added_signal(entry.entry_id), add))


def electricity_only(
    make: Callable[[FluviusCoordinator], Entity],
) -> Callable[[FluviusCoordinator], list[Entity]]:
    """One entity per electricity meter, none for gas (it has no capacity tariff)."""
    return lambda coordinator: (
        [make(coordinator)] if coordinator.meter_type is MeterType.ELECTRICITY else []
    )


class FluviusEntity(CoordinatorEntity[FluviusCoordinator]):
    """An entity of one Fluvius meter; one device per meter (EAN)."""

    _attr_has_entity_name = True

    def __init__(self, coordinator: FluviusCoordinator, description: EntityDescription) -> None:
        """Initialise the entity and its device."""
        super().__init__(coordinator)
        self.entity_description = description
        ean = coordinator.ean
        self._attr_unique_id = f"{ean}_{description.key}"
        meter = coordinator.meter_type.value
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, ean)},
            manufacturer=MANUFACTURER,
            translation_key=f"{meter}_meter",
            translation_placeholders={"ean_suffix": mask_ean(ean)},
            model=f"{meter.capitalize()} meter",
            serial_number=coordinator.meter.serial,
            configuration_url=CONFIGURATION_URL,
        )
