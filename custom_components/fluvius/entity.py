"""Base entity of the Fluvius integration."""

from __future__ import annotations

from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity import EntityDescription
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .api.security import mask_ean
from .const import CONFIGURATION_URL, DOMAIN, MANUFACTURER
from .coordinator import FluviusCoordinator


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
