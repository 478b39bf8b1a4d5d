import { Controller, Get, Post, UseGuards } from '@nestjs/common';
import { OperatorGuard, OrgAccessGuard } from '../../auth/guards';
import { RateLimitedAs, routeKindOf } from './route-budget';

@Controller('api/orgs/:org/things')
@UseGuards(OrgAccessGuard)
class OrgThings {
  @Get() list() {}
  @Post() add() {}
}

@Controller('api/orgs/:org/secrets')
@UseGuards(OrgAccessGuard)
@RateLimitedAs('secrets')
class Secrets {
  @Post('encrypt') encrypt() {}
}

@Controller('api/admin')
class Mixed {
  @Get('open') open() {}
  @UseGuards(OperatorGuard) @Post('guarded') guarded() {}
}

@Controller()
@RateLimitedAs('operator')
class Scrape {
  @Get('metrics') metrics() {}
}

const kind = (controller: { prototype: object }, method: string) => routeKindOf((controller.prototype as Record<string, object>)[method], controller);

describe('routeKindOf (which budget family a route counts against)', () => {
  it('derives the kind from the route guards, so a new route counts like its siblings', () => {
    expect(kind(OrgThings, 'list')).toBe('org');
    expect(kind(OrgThings, 'add')).toBe('org');
    expect(kind(Mixed, 'guarded')).toBe('operator');
    expect(kind(Mixed, 'open')).toBe('public');
  });

  it('lets a controller name its kind where the guard does not tell', () => {
    expect(kind(Secrets, 'encrypt')).toBe('secrets');
    expect(kind(Scrape, 'metrics')).toBe('operator');
  });
});
