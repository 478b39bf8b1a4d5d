import { SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { RouteMetadataReflector } from './rate-limit.guard';

class Plain {
  route(): void {}
}
@SetMetadata('THROTTLER:SKIPdefault', true)
class Skipped {
  @SetMetadata('THROTTLER:LIMITdefault', 5)
  route(): void {}
  other(): void {}
}

describe("the throttler's reflector", () => {
  it("answers what Nest's reflector answers, from memory after the first time", () => {
    const nest = new Reflector();
    const cached = new RouteMetadataReflector();
    const getMetadata = jest.spyOn(Reflect, 'getMetadata');
    try {
      for (const [handler, classRef] of [
        [Plain.prototype.route, Plain],
        [Skipped.prototype.route, Skipped],
        [Skipped.prototype.other, Skipped],
      ] as const) {
        for (const key of ['THROTTLER:SKIPdefault', 'THROTTLER:LIMITdefault', 'THROTTLER:TTLdefault']) {
          const expected = nest.getAllAndOverride(key, [handler, classRef]);
          expect(cached.getAllAndOverride(key, [handler, classRef])).toEqual(expected);
          getMetadata.mockClear();
          expect(cached.getAllAndOverride(key, [handler, classRef])).toEqual(expected);
          expect(getMetadata).not.toHaveBeenCalled();
        }
      }
      expect(cached.getAllAndOverride('THROTTLER:LIMITdefault', [Skipped.prototype.route, Skipped])).toBe(5);
      expect(cached.getAllAndOverride('THROTTLER:SKIPdefault', [Skipped.prototype.other, Skipped])).toBe(true);
      expect(cached.getAllAndOverride('THROTTLER:SKIPdefault', [Plain.prototype.route, Plain])).toBeUndefined();
    } finally {
      getMetadata.mockRestore();
    }
  });
});
