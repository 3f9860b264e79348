import type { AppConfig } from '@omo/lib/core/config';

export type SmaregiContractConfig = AppConfig['SMAREGI_CONTRACTS'][number];

/** The contracts that installed the app (SMAREGI_CONTRACTS), by contract id. */
export class SmaregiContracts {
  private readonly byId: Map<string, SmaregiContractConfig>;

  constructor(contracts: readonly SmaregiContractConfig[]) {
    this.byId = new Map(contracts.map((c) => [c.contractId, c]));
  }

  static fromConfig(config: Pick<AppConfig, 'SMAREGI_CONTRACTS'>): SmaregiContracts {
    return new SmaregiContracts(config.SMAREGI_CONTRACTS);
  }

  /** Whether any contract is configured (none: the connector is off). */
  get enabled(): boolean {
    return this.byId.size > 0;
  }

  get(contractId: string): SmaregiContractConfig | undefined {
    return this.byId.get(contractId);
  }

  all(): SmaregiContractConfig[] {
    return [...this.byId.values()];
  }

  /** Our store's code or id for a Smaregi storeId of this contract, or null when the contract does not map it. */
  storeRefOf(contractId: string, smaregiStoreId: string): string | null {
    return this.byId.get(contractId)?.stores[smaregiStoreId] ?? null;
  }
}
