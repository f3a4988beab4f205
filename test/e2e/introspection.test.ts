/** fields_get, default_get, check_access_rights and name_search over HTTP. */
import { apiUrl, demoToken } from '../helpers/local';

async function get(path: string, accept?: string) {
  const headers: Record<string, string> = { Authorization: `Bearer ${await demoToken()}` };
  if (accept) headers.Accept = accept;
  const response = await fetch(`${apiUrl()}/restapi/1.0/object/${path}`, { headers });
  return { status: response.status, body: await response.text() };
}

describe('the model methods', () => {
  it("fields_get describes the asked fields (in the model's order) with the asked attributes (in Odoo's alphabetical order)", async () => {
    expect(await get("res.partner/fields_get?allfields=['type','name','country_id']&attributes=['type','string','relation','selection']")).toStrictEqual({
      status: 200,
      body:
        '{"Partner":{"name":{"string":"Name","type":"char"},"country_id":{"relation":"res.country","string":"Country","type":"many2one"},' +
        '"type":{"selection":[["contact","Contact"],["invoice","Invoice Address"],["delivery","Delivery Address"],["private","Private Address"],["other","Other Address"]],"string":"Address Type","type":"selection"}}}',
    });
  });

  it('fields_get gives every attribute of every field without parameters', async () => {
    const { body } = await get('res.country.state/fields_get');
    const fields = (JSON.parse(body) as { 'Country state': Record<string, Record<string, unknown>> })['Country state'];
    expect(Object.keys(fields)).toStrictEqual(['id', 'country_id', 'name', 'code', 'display_name', 'create_uid', 'create_date', 'write_uid', 'write_date']);
    expect(fields.country_id).toStrictEqual({
      type: 'many2one', string: 'Country', help: '', required: true, readonly: false, store: true, searchable: true, sortable: true, name: 'country_id', relation: 'res.country',
    });
    expect(fields.write_date?.readonly).toBe(true);
  });

  it('default_get answers the defaults of the named fields that have one', async () => {
    expect(await get("res.partner/default_get?fields_list=['active','type','lang','name']")).toStrictEqual({
      status: 200,
      body: '{"Partner":{"active":true,"type":"contact","lang":"en_US"}}',
    });
  });

  it('check_access_rights answers {"return": true}, in JSON and XML, and refuses an unknown operation', async () => {
    expect(await get("res.partner/check_access_rights?operation=['write']")).toStrictEqual({ status: 200, body: '{"return":true}' });
    expect(await get("res.partner/check_access_rights?operation=['unlink']&raise_exception=True", 'application/xml')).toStrictEqual({
      status: 200,
      body: '<return type="bool">true</return>',
    });
    expect(await get("res.partner/check_access_rights?operation=['fly']")).toStrictEqual({
      status: 403,
      body: `{"error":{"code":403,"message":"Invalid access mode 'fly'; expected one of read, write, create, unlink"}}`,
    });
  });

  it('name_search answers [id, name] pairs, and 404 when nothing matches', async () => {
    expect(await get("res.partner/name_search?name='foster'")).toStrictEqual({ status: 200, body: '{"Partner":[[17,"Edward Foster"]]}' });
    expect(await get("res.country/name_search?name='i'&args=[('code','in',['BE','TW'])]")).toStrictEqual({
      status: 200,
      body: '{"Country":[[274,"Belgium"],[482,"Taiwan"]]}',
    });
    expect(await get("res.partner/name_search?name='zzz'")).toStrictEqual({ status: 404, body: '{"code":404,"message":"Record not found"}' });
  });
});
