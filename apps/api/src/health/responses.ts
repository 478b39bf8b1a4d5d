import { ApiProperty } from '@nestjs/swagger';

/** Response shapes of the probes, for the OpenAPI document. */

export class LivenessDto {
  @ApiProperty({ enum: ['ok'] })
  status!: string;
}

export class ReadinessCheckDto {
  @ApiProperty({ example: 'redis' })
  name!: string;

  @ApiProperty()
  ok!: boolean;

  @ApiProperty({ required: false })
  detail?: string;
}

export class ProjectionPositionDto {
  @ApiProperty({ type: String, nullable: true })
  position!: string | null;
}

export class ReadinessDto {
  @ApiProperty({ enum: ['ready', 'unavailable'] })
  status!: string;

  @ApiProperty({ type: [ReadinessCheckDto] })
  checks!: ReadinessCheckDto[];

  @ApiProperty({ type: ProjectionPositionDto })
  projections!: ProjectionPositionDto;
}
