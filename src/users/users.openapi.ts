import { applyDecorators } from '@nestjs/common';
import {
  ApiBody,
  ApiExtraModels,
  ApiHeader,
  ApiOperation,
  ApiResponse,
  getSchemaPath,
} from '@nestjs/swagger';
import { ApiOptionalBearer, ApiProblems, CREATED_HEADERS } from '../http/openapi.decorators';
import { headers } from '../http/openapi.headers';
import { CreateUserDto } from './dto/create-user.dto';
import { UserProfileDto } from './dto/user-profile.dto';
import { UserResponse } from './dto/user.response';

/** PUT /api/users/{id} as the document states it: create at this URI, or replace your own. */
export const ApiPutUser = () =>
  applyDecorators(
    ApiOperation({ summary: 'Create a user at this id, or replace your own name and email' }),
    ApiOptionalBearer(),
    // PutUserDto validates both forms; the document tells them apart, as the service does.
    ApiExtraModels(CreateUserDto, UserProfileDto),
    ApiBody({
      description:
        'To create the user at this URI: `email`, `name` and `password` (`CreateUserDto`). To replace an existing user: `email` and `name` only (`UserProfileDto`); a password there is refused with 400.',
      schema: {
        oneOf: [{ $ref: getSchemaPath(CreateUserDto) }, { $ref: getSchemaPath(UserProfileDto) }],
      },
    }),
    ApiHeader({
      name: 'If-Match',
      required: false,
      description:
        'Replace only if the user still has this ETag; a user who already has the name and email sent is answered 200 whatever it says (the replace is done).',
    }),
    ApiHeader({
      name: 'If-None-Match',
      required: false,
      description: '`*`: create only, never replace.',
    }),
    ApiResponse({
      status: 201,
      type: UserResponse,
      description: 'Created at this URI (public; password required).',
      headers: CREATED_HEADERS,
    }),
    ApiResponse({
      status: 200,
      type: UserResponse,
      description:
        'Replaced name and email (that user only), or a create sent again (the same email, name and password, no valid token): the user as they are, nothing written.',
      headers: headers('ETag'),
    }),
    ApiProblems(400, 401, 404, 409, 412, 429, 503),
  );
