import { IsIn, IsInt, IsOptional, IsString } from 'class-validator';

/*
 * Deliberately breaking (and compatible) changes to one message, for the compatibility gate's tests.
 * Each class is "the same message" at a later commit than OrderPublished.
 */

export class OrderPublished {
  @IsString() id!: string;
  @IsInt() quantity!: number;
  @IsOptional() @IsString() note?: string | null;
  @IsIn(['new', 'paid', 'shipped']) status!: string;
}

/** `quantity` removed. */
export class OrderFieldRemoved {
  @IsString() id!: string;
  @IsOptional() @IsString() note?: string | null;
  @IsIn(['new', 'paid', 'shipped']) status!: string;
}

/** `quantity` became a string. */
export class OrderFieldRetyped {
  @IsString() id!: string;
  @IsString() quantity!: string;
  @IsOptional() @IsString() note?: string | null;
  @IsIn(['new', 'paid', 'shipped']) status!: string;
}

/** `note` became required. */
export class OrderFieldNewlyRequired {
  @IsString() id!: string;
  @IsInt() quantity!: number;
  @IsString() note!: string;
  @IsIn(['new', 'paid', 'shipped']) status!: string;
}

/** `status` lost `shipped`. */
export class OrderEnumNarrowed {
  @IsString() id!: string;
  @IsInt() quantity!: number;
  @IsOptional() @IsString() note?: string | null;
  @IsIn(['new', 'paid']) status!: string;
}

/** Compatible: an optional member added, an enum widened. */
export class OrderExtended {
  @IsString() id!: string;
  @IsInt() quantity!: number;
  @IsOptional() @IsString() note?: string | null;
  @IsIn(['new', 'paid', 'shipped', 'refunded']) status!: string;
  @IsOptional() @IsString() coupon?: string | null;
}
