/**
 * The model definitions shipped with the service. They are data (one JSON file per model) and are
 * imported statically so esbuild puts them in the bundle; lib/models/registry.ts validates them at cold start.
 */
import irModel from './ir.model.json';
import irModelFields from './ir.model.fields.json';
import irWebhook from './ir.webhook.json';
import irWebhookDelivery from './ir.webhook.delivery.json';
import resCountry from './res.country.json';
import resCountryState from './res.country.state.json';
import resPartner from './res.partner.json';
import resPartnerCategory from './res.partner.category.json';
import resUsers from './res.users.json';

export const shippedModels: readonly unknown[] = [
  resPartner,
  resCountry,
  resCountryState,
  resPartnerCategory,
  resUsers,
  irModel,
  irModelFields,
  irWebhook,
  irWebhookDelivery,
];

export { default as shippedAccessRules } from './access.json';
