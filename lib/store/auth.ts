/**
 * AuthStore over DynamoDB (table AUTH_TABLE, partition key `pk`):
 *   CLIENT#<client_id>   the client: secret hash, user, name, access type
 *   TOKEN#<sha256>       an access or refresh token's hash, client, user, expiresAt (also the TTL)
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { AuthStore, ClientRecord, TokenRecord } from '../auth';
import { translateStoreError } from './client';

export const clientKey = (clientId: string) => ({ pk: `CLIENT#${clientId}` });
export const tokenKey = (tokenHash: string) => ({ pk: `TOKEN#${tokenHash}` });

export class DynamoAuthStore implements AuthStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async #get(key: { pk: string }): Promise<Record<string, unknown> | undefined> {
    try {
      const { Item } = await this.client.send(new GetCommand({ TableName: this.table, Key: key }));
      return Item;
    } catch (error) {
      return translateStoreError(error);
    }
  }

  async getClient(clientId: string): Promise<ClientRecord | undefined> {
    const item = await this.#get(clientKey(clientId));
    if (!item) return undefined;
    return {
      clientId: String(item.clientId),
      secretHash: String(item.secretHash),
      userId: Number(item.userId),
      name: String(item.name),
      accessType: 'oauth2',
    };
  }

  async putClient(client: ClientRecord): Promise<void> {
    try {
      await this.client.send(new PutCommand({ TableName: this.table, Item: { ...clientKey(client.clientId), ...client } }));
    } catch (error) {
      translateStoreError(error);
    }
  }

  async getToken(tokenHash: string): Promise<TokenRecord | undefined> {
    const item = await this.#get(tokenKey(tokenHash));
    if (!item) return undefined;
    return {
      tokenHash,
      kind: item.kind === 'refresh' ? 'refresh' : 'access',
      clientId: String(item.clientId),
      userId: Number(item.userId),
      expiresAt: Number(item.expiresAt),
      scopes: String(item.scopes ?? ''),
    };
  }

  async putTokens(tokens: readonly TokenRecord[]): Promise<void> {
    // Parallel single puts: one round trip, and nothing like BatchWrite's unprocessed items to lose.
    try {
      await Promise.all(
        tokens.map((token) => this.client.send(new PutCommand({ TableName: this.table, Item: { ...tokenKey(token.tokenHash), ...token } }))),
      );
    } catch (error) {
      translateStoreError(error);
    }
  }
}
