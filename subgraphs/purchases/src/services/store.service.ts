import { isDuplicateKeyError } from '@omo/lib/db';
import { AlreadyExistsError } from '@omo/lib/errors';
import type { StoreDoc, StoreKind, StoreModel } from '../models/store.model';

export interface CreateStoreInput {
  code: string;
  name: string;
  kind: StoreKind;
  prefecture?: string | null;
  city?: string | null;
}

export class StoreService {
  constructor(private readonly stores: StoreModel) {}

  list(): Promise<StoreDoc[]> {
    return this.stores.find().sort({ code: 1 }).lean<StoreDoc[]>().exec();
  }

  findByCode(code: string): Promise<StoreDoc | null> {
    return this.stores.findOne({ code }).lean<StoreDoc>().exec();
  }

  async create(input: CreateStoreInput): Promise<StoreDoc> {
    try {
      return (await this.stores.create(input)).toObject();
    } catch (error) {
      if (isDuplicateKeyError(error)) throw new AlreadyExistsError(`A store with code ${input.code} already exists`, { field: 'code' });
      throw error;
    }
  }
}
